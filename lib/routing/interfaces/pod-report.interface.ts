/** What is known of one pod of a service (`getPods`). */
export interface PodReport {
  podId: number;
  /** `null`: the pod has a weight or a liveness entry but no state. */
  state: string | null;
  /** The reported load (plus users placed since); `null`: none reported. */
  weight: number | null;
  /**
   * Redis time (ms) of the pod's last own report; `null`: it never reported liveness (e.g. a Java or Go pod), or
   * its state or weight was written since by another implementation (a Java or Go pod at an ordinal that a pod of
   * this library used before), so its liveness entry is not its own.
   */
  lastSeenAt: number | null;
  /** `lastSeenAt === null`, or podLiveness is off, or the last report is at most `podLiveness.timeoutMs` old. */
  live: boolean;
}
