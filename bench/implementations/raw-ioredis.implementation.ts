import { Redis } from 'ioredis';
import { readLuaScript } from '../../lib/scripts/lua-script';
import {
  GATEWAY_COMPUTE,
  GATEWAY_GET,
  LINGER_SECONDS,
  SERVICE,
  batchAt,
  namespaceFor,
  gatewayKindAt,
  gatewayUserAt,
  seededPod,
  uids,
  userAt,
} from '../workload';
import type { Implementation } from './implementation';
import { redisKeys } from './redis-keys';

/**
 * The floor: a plain ioredis client sending the library's commands and scripts (by SHA) itself,
 * written the way an application would (`client.get(key)`, `client.evalsha(sha, n, ...)`),
 * without validating inputs or parsing replies.
 */
export function rawIoredis(url: string, name: string): Implementation {
  const namespace = namespaceFor(name);
  const { uidHash: uidHashKey, link: linkKey, podStates: POD_STATES_KEY, podWeights: POD_WEIGHTS_KEY } = redisKeys(namespace);
  const client = new Redis(url);
  const sha = (script: string) => readLuaScript(script).sha;
  const trySet = sha('statefulTrySetLink');
  const setIfAbsent = sha('statefulSetLinkIfAbsent');
  const pickPod = sha('statefulGetServicePod');
  const computeLink = sha('statefulComputeLinkIfAbsent');
  const setState = sha('statefulSetState');
  const removeLink = sha('statefulRemoveLink');
  const linkService = sha('statefulGetLinkService');

  const compute = async (uid: string): Promise<unknown> => {
    const existing = await client.get(linkKey(uid));
    if (existing !== null) return existing;
    const chosen = (await client.evalsha(pickPod, 2, POD_STATES_KEY, POD_WEIGHTS_KEY, uid, 'running')) as string | null;
    if (chosen === null) return null;
    const [linked, created] = (await client.evalsha(computeLink, 2, uidHashKey(uid), linkKey(uid), SERVICE, chosen, -1)) as [string, number];
    if (created === 1) await client.evalsha(setState, 2, POD_STATES_KEY, POD_WEIGHTS_KEY, 'assign', linked);
    return linked;
  };
  const remove = (uid: string) => client.evalsha(removeLink, 2, uidHashKey(uid), linkKey(uid), SERVICE, LINGER_SECONDS);

  return {
    name,
    namespace,
    operations: {
      getLinkedPod: (i) => client.get(linkKey(uids[userAt(i)])),
      trySetLinkedPod: (i) => {
        const user = userAt(i);
        const uid = uids[user];
        return client.evalsha(trySet, 2, uidHashKey(uid), linkKey(uid), SERVICE, seededPod(user), -1);
      },
      setLinkedPodIfAbsent: (i) => {
        const uid = `absent-${i}`;
        return client.evalsha(setIfAbsent, 2, uidHashKey(uid), linkKey(uid), SERVICE, seededPod(i), -1);
      },
      computeLinkedPodIfAbsent: (i) => compute(`compute-${i}`),
      removeLinkedPod: (i) => remove(uids[userAt(i)]),
      getLinkService: (i) => client.evalsha(linkService, 1, uidHashKey(uids[userAt(i)])),
      batchGetLinkedPod: (i) => client.mget(batchAt(i).map((uid) => linkKey(uid))),
      gatewayMix: (i) => {
        const uid = uids[gatewayUserAt(i)];
        const kind = gatewayKindAt(i);
        if (kind === GATEWAY_GET) return client.get(linkKey(uid));
        if (kind === GATEWAY_COMPUTE) return compute(uid);
        return remove(uid);
      },
    },
    warm: async (index) => {
      await client.get(linkKey(uids[index]));
      return client.hgetall(uidHashKey(uids[index]));
    },
    close: async () => {
      await client.quit();
    },
  };
}
