import { KEY_PREFIX, SERVICE } from '../workload';

/** The wire-format keys of one namespace, written out the way an application using ioredis directly would build them. */
export function redisKeys(namespace: string) {
  return {
    uidHash: (uid: string) => `${KEY_PREFIX}:{${namespace}:lk:${uid}}`,
    link: (uid: string, service = SERVICE) => `${KEY_PREFIX}:{${namespace}:lk:${uid}}${service}`,
    podStates: `${KEY_PREFIX}:{${namespace}:state:${SERVICE}}`,
    podWeights: `${KEY_PREFIX}:{${namespace}:state:${SERVICE}}weight`,
    /** The five keys of a pod write (statefulSetState): states, weights, last reports, writes, sweeps. */
    podWrite: ['', 'weight', 'seen', 'writes', 'sweeps'].map(
      (suffix) => `${KEY_PREFIX}:{${namespace}:state:${SERVICE}}${suffix}`,
    ),
  };
}
