export interface FindServicesOptions {
  /** Most services returned, the first in (namespace, serviceName) order; default 1000. */
  limit?: number;
}
