import type { KeysOf } from '../../core/scripts/lua-script';
import type { RoutingScripts } from '../routing-script-names';
import type { KeySchema } from './key-schema';

/** The keys a routing script takes, as many as its header documents (the script runner refuses any other count). */
type KeysOfScript<N extends keyof RoutingScripts> = KeysOf<RoutingScripts[N]['keys']>;

/** The KEYS of each routing script, in the order its header documents them. */
export class ScriptKeys {
  constructor(private readonly keys: KeySchema) {}

  /** statefulSetState, statefulSetServiceStates, statefulSweepSilentPods: states, weights, reports, writes, sweeps. */
  podWrite(namespace: string, serviceName: string): KeysOfScript<'statefulSetState'> {
    return [...this.podRead(namespace, serviceName), this.keys.podSweeps(namespace, serviceName)];
  }

  /** statefulGetPods, statefulGetLiveServicePod: pod states, weights, last reports, writes. */
  podRead(namespace: string, serviceName: string): KeysOfScript<'statefulGetPods'> {
    return [
      ...this.podPick(namespace, serviceName),
      this.keys.podSeen(namespace, serviceName),
      this.keys.podWrites(namespace, serviceName),
    ];
  }

  /** statefulGetServicePod: pod states and weights. */
  podPick(namespace: string, serviceName: string): KeysOfScript<'statefulGetServicePod'> {
    return [this.keys.podStates(namespace, serviceName), this.keys.podWeights(namespace, serviceName)];
  }

  /** The scripts that read or write one link (statefulSetLink, statefulRemovePodLink, ...): uid hash, link key. */
  link(namespace: string, uid: string, serviceName: string): KeysOfScript<'statefulSetLink'> {
    return [this.keys.uidLinks(namespace, uid), this.keys.link(namespace, uid, serviceName)];
  }
}
