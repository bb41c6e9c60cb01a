/** Options of `setServiceState` and `batchSetServiceState`. */
export interface SetServiceStateOptions {
  /**
   * `true` (default): the pod itself reports, so its liveness entry gets the report's Redis time. `false`: an
   * operator, a controller or a dashboard writes on the pod's behalf; its last report is left as it is (a Java or
   * Go pod drained this way keeps having no liveness entry, and a dead pod does not look alive).
   */
  asPodReport?: boolean;
}
