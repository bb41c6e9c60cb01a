import { KEY_PREFIX, NAMESPACE, SERVICE } from '../workload';

/*
 * The wire-format keys, written out the way an application using ioredis directly would build them.
 */

export function uidHashKey(uid: string): string {
  return `${KEY_PREFIX}:{${NAMESPACE}:lk:${uid}}`;
}

export function linkKey(uid: string, service = SERVICE): string {
  return `${KEY_PREFIX}:{${NAMESPACE}:lk:${uid}}${service}`;
}

export const POD_STATES_KEY = `${KEY_PREFIX}:{${NAMESPACE}:state:${SERVICE}}`;
export const POD_WEIGHTS_KEY = `${KEY_PREFIX}:{${NAMESPACE}:state:${SERVICE}}weight`;
