/** One live link of a uid (`getUserLinks`). */
export interface UserLink {
  serviceName: string;
  podId: number;
  /** Time the temporary link has left, in ms; `null`: persistent. */
  ttlMs: number | null;
}
