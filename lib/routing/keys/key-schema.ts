/**
 * Builds the Redis keys of the wire format shared with the Java and Go implementations.
 * The `{...}` hash tag keeps every key of one uid (or of one service's pods) in one cluster slot.
 */
export class KeySchema {
  constructor(readonly prefix: string) {}

  /** Hash `svc -> podId` of every link of a uid. */
  uidLinks(namespace: string, uid: string): string {
    return `${this.prefix}:{${namespace}:lk:${uid}}`;
  }

  /** String `podId` of one link; no TTL = persistent, TTL = temporary. */
  link(namespace: string, uid: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:lk:${uid}}${serviceName}`;
  }

  /** Hash `podId -> state` of a service's pods. */
  podStates(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:state:${serviceName}}`;
  }

  /** Hash `podId -> weight` of a service's pods. */
  podWeights(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:state:${serviceName}}weight`;
  }

  /**
   * Hash `podId -> ms` (Redis TIME) of each pod's last report (state, weight, heartbeat). An addition of this
   * library: the Java and Go implementations never write it, and a pod without an entry counts as live.
   */
  podSeen(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:state:${serviceName}}seen`;
  }

  /**
   * Hash `podId -> [state, weight]` (JSON) as this library last wrote them or saw them in the pod's report. An
   * addition: a pod whose entries differ was written since by another implementation, so its liveness entry is
   * not its own last report (see lua/routing/includes/podEntries.lua).
   */
  podWrites(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:state:${serviceName}}writes`;
  }

  /** Hash `podId -> sweep entry` (JSON) of the pods a sweep declared silent, until each reports again. An addition. */
  podSweeps(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:state:${serviceName}}sweeps`;
  }

  /** String holding a service's workload state. */
  workload(namespace: string, serviceName: string): string {
    return `${this.prefix}:{${namespace}:workload:${serviceName}}`;
  }
}
