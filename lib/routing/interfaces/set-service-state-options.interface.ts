/** Options of `setServiceState` and `batchSetServiceState`. */
export interface SetServiceStateOptions {
  /**
   * Whether the write is the pod's own report, so that its liveness entry gets the report's Redis time. Default
   * `true` for `setServiceState` (a pod reporting its own state) and `false` for `batchSetServiceState` (a
   * controller writing many). `false`: an operator, a controller or a dashboard writes on the pod's behalf and its
   * last report is left as it is (a Java or Go pod written this way keeps having no liveness entry, and a dead pod
   * does not look alive). Liveness comes only from a pod's own reports.
   */
  asPodReport?: boolean;
}
