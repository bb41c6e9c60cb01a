/** A pod a sweep declared silent (`markSilentPods`): the mark that every later step of the sweep checks. */
export interface SilentPodMark {
  serviceName: string;
  podId: number;
  /** Redis time (ms) of the pod's last own report. */
  lastSeenAt: number;
  /** Redis time (ms) the pod was marked: by this sweep, or by an earlier one that did not finish. */
  markedAt: number;
  /** Redis time (ms) of the judgement, on the clock of the master that holds the pod's liveness entry. */
  judgedAt: number;
  /** Links removed by the sweeps of this mark so far (each batch counted before its removal). */
  linksRemoved: number;
}

/** What `removeMarkedPodLinks` did for one marked pod. */
export interface MarkedPodSweep {
  serviceName: string;
  podId: number;
  /** Links removed (or turned temporary) by this call. */
  removed: number;
  /** `false`: the walk found the pod no longer the silent pod marked (it reported, or its state was written): kept. */
  stillMarked: boolean;
  /**
   * Set when some of the pod's links may be left: why (a removal failed, or reached Redis after its batch's settle
   * time). The pod stays marked: the next sweep takes it up again; `forgetMarkedPods` must not be called for it.
   */
  unfinished?: string;
}

/**
 * What a pod learns at its first report after a sweep declared it silent (the answer of `setServiceState`,
 * `setPodWeight`, `heartbeat` and, per pod, `batchSetServiceState` with `asPodReport: true`). The pod may hold
 * users whose links the sweep removed: see the README's restart pattern for what it must do. Reports within 30 s
 * of the first are answered the same notice (a retry after a lost reply still learns it): act once per `markedAt`.
 */
export interface SweptPodNotice {
  namespace: string;
  serviceName: string;
  podId: number;
  /** Redis time (ms) of the pod's last report before the sweep judged it silent. */
  lastSeenAt: number;
  /** Redis time (ms) the sweep marked it. */
  markedAt: number;
  /** Links of the pod the sweep removed, at most (a batch is counted before its removal); `0`: none. */
  linksRemoved: number;
  /** Whether the sweep finished and forgot the pod's state and weight before it reported again. */
  forgotten: boolean;
  /**
   * How long (ms) the pod must wait before it links its users again: removals of a batch the sweep already sent
   * are valid until then (0: none pending). A link written sooner may still be removed.
   */
  reclaimInMs: number;
}
