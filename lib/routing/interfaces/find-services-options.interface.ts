import type { ServiceRef } from './service-ref.interface';

export interface FindServicesOptions {
  /** Most services returned, the first in (namespace, serviceName) order; default 1000. */
  limit?: number;
  /** Only services after this one in that order: the last of the previous page, to page through all of them. */
  after?: ServiceRef;
}
