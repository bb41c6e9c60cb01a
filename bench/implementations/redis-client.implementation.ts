import { Redis, type RedisOptions } from 'ioredis';
import { LINGER_SECONDS, SERVICE, namespaceFor, uids } from '../workload';
import type { Implementation } from './implementation';
import type { ScriptName } from '../../lib/routing/routing-script-names';
import { redisKeys } from './redis-keys';
import { workloadOperations } from './workload-operations';

/** A script ready to run: `run(numKeys, ...keysThenArgs)`. */
type ScriptCall = (numKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>;

/** What differs between implementations that drive a plain ioredis client themselves. */
export interface RedisClientStrategy {
  /** How the library's script `name` is sent (e.g. `EVALSHA` by SHA, or `EVAL` with its full source). */
  script(client: Redis, name: ScriptName): ScriptCall;
  /** How the link keys of a batch are read (e.g. one `MGET`, or one awaited `GET` per key). */
  batchGet(client: Redis, keys: string[]): Promise<unknown>;
}

/**
 * The library's commands and scripts sent from a plain ioredis client, without validating inputs or parsing replies;
 * `options` are the client's (e.g. `enableAutoPipelining`).
 */
export function redisClientImplementation(
  url: string,
  name: string,
  strategy: RedisClientStrategy,
  options: RedisOptions = {},
): Implementation {
  const namespace = namespaceFor(name);
  const {
    uidHash: uidHashKey,
    link: linkKey,
    podStates: POD_STATES_KEY,
    podWeights: POD_WEIGHTS_KEY,
    podWrite: POD_WRITE_KEYS,
  } = redisKeys(namespace);
  const client = new Redis(url, options);
  const script = (scriptName: ScriptName) => strategy.script(client, scriptName);
  const trySet = script('statefulTrySetLink');
  const setIfAbsent = script('statefulSetLinkIfAbsent');
  const pickPod = script('statefulGetServicePod');
  const computeLink = script('statefulComputeLinkIfAbsent');
  const setState = script('statefulSetState');
  const removeLink = script('statefulRemoveLink');
  const linkService = script('statefulGetLinkService');

  const compute = async (uid: string): Promise<unknown> => {
    const existing = await client.get(linkKey(uid));
    if (existing !== null) return existing;
    const chosen = (await pickPod(2, POD_STATES_KEY, POD_WEIGHTS_KEY, uid, 'running')) as string | null;
    if (chosen === null) return null;
    const [linked, created] = (await computeLink(2, uidHashKey(uid), linkKey(uid), SERVICE, chosen, -1)) as [
      string,
      number,
    ];
    if (created === 1) await setState(POD_WRITE_KEYS.length, ...POD_WRITE_KEYS, 'assign', linked);
    return linked;
  };

  return {
    name,
    namespace,
    operations: workloadOperations({
      get: (uid) => client.get(linkKey(uid)),
      trySet: (uid, pod) => trySet(2, uidHashKey(uid), linkKey(uid), SERVICE, pod, -1),
      setIfAbsent: (uid, pod) => setIfAbsent(2, uidHashKey(uid), linkKey(uid), SERVICE, pod, -1),
      compute,
      remove: (uid) => removeLink(2, uidHashKey(uid), linkKey(uid), SERVICE, LINGER_SECONDS),
      linkService: (uid) => linkService(1, uidHashKey(uid)),
      batchGet: (batch) =>
        strategy.batchGet(
          client,
          batch.map((uid) => linkKey(uid)),
        ),
    }),
    warm: async (index) => {
      await client.get(linkKey(uids[index]));
      return client.hgetall(uidHashKey(uids[index]));
    },
    close: async () => {
      await client.quit();
    },
  };
}
