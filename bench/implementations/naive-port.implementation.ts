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
 * What the Go port did: every script sent in full with `EVAL` on every call, and a batch read
 * as one `GET` per uid, each awaited before the next (no `MGET`, no pipelining).
 */
export function naivePort(url: string, name: string): Implementation {
  const namespace = namespaceFor(name);
  const { uidHash: uidHashKey, link: linkKey, podStates: POD_STATES_KEY, podWeights: POD_WEIGHTS_KEY } = redisKeys(namespace);
  const client = new Redis(url);
  const source = (script: string) => readLuaScript(script).source;
  const trySet = source('statefulTrySetLink');
  const setIfAbsent = source('statefulSetLinkIfAbsent');
  const pickPod = source('statefulGetServicePod');
  const computeLink = source('statefulComputeLinkIfAbsent');
  const setState = source('statefulSetState');
  const removeLink = source('statefulRemoveLink');
  const linkService = source('statefulGetLinkService');

  const compute = async (uid: string): Promise<unknown> => {
    const existing = await client.get(linkKey(uid));
    if (existing !== null) return existing;
    const chosen = (await client.eval(pickPod, 2, POD_STATES_KEY, POD_WEIGHTS_KEY, uid, 'running')) as string | null;
    if (chosen === null) return null;
    const [linked, created] = (await client.eval(computeLink, 2, uidHashKey(uid), linkKey(uid), SERVICE, chosen, -1)) as [string, number];
    if (created === 1) await client.eval(setState, 2, POD_STATES_KEY, POD_WEIGHTS_KEY, 'assign', linked);
    return linked;
  };
  const remove = (uid: string) => client.eval(removeLink, 2, uidHashKey(uid), linkKey(uid), SERVICE, LINGER_SECONDS);

  return {
    name,
    namespace,
    operations: {
      getLinkedPod: (i) => client.get(linkKey(uids[userAt(i)])),
      trySetLinkedPod: (i) => {
        const user = userAt(i);
        const uid = uids[user];
        return client.eval(trySet, 2, uidHashKey(uid), linkKey(uid), SERVICE, seededPod(user), -1);
      },
      setLinkedPodIfAbsent: (i) => {
        const uid = `absent-${i}`;
        return client.eval(setIfAbsent, 2, uidHashKey(uid), linkKey(uid), SERVICE, seededPod(i), -1);
      },
      computeLinkedPodIfAbsent: (i) => compute(`compute-${i}`),
      removeLinkedPod: (i) => remove(uids[userAt(i)]),
      getLinkService: (i) => client.eval(linkService, 1, uidHashKey(uids[userAt(i)])),
      batchGetLinkedPod: async (i) => {
        const values: Array<string | null> = [];
        for (const uid of batchAt(i)) values.push(await client.get(linkKey(uid)));
        return values;
      },
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
