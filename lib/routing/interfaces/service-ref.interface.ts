/** A service that has pod states (`findServices`). */
export interface ServiceRef {
  namespace: string;
  serviceName: string;
}
