export interface TrySetLinkedPodResult {
  /** `false` when another pod holds a persistent link. */
  success: boolean;
  /** The pod the uid is linked to after the call. */
  podId: number;
}
