import type { SilentPodMark } from './silent-pod.interface';

/** Where a `removePodLinks` sweep is, told after each batch. */
export interface SweepProgress {
  /** Link keys of the service examined so far. */
  scanned: number;
  /** Links removed (or turned temporary) so far. */
  removed: number;
}

export interface RemovePodLinksOptions {
  /** `> 0`: turn the links into temporary links of this many seconds instead of removing them; default 0. */
  lingerSeconds?: number;
  /** Called after each batch, awaited before that master's next batch; an error it throws stops the sweep. */
  onProgress?: (progress: SweepProgress) => void | Promise<void>;
  /**
   * The pod's mark from `markSilentPods`: every batch then removes links only while the pod is still the silent
   * pod marked (a report of the pod, or a write of its state, stops the sweep within one batch).
   */
  mark?: SilentPodMark;
}
