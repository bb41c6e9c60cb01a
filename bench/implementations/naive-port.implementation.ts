import { ROUTING_SCRIPTS } from '../../lib/routing/routing-script-names';
import type { Implementation } from './implementation';
import { redisClientImplementation } from './redis-client.implementation';

/**
 * What the Go port did: every script sent in full with `EVAL` on every call, and a batch read
 * as one `GET` per uid, each awaited before the next (no `MGET`, no pipelining).
 */
export function naivePort(url: string, name: string): Implementation {
  return redisClientImplementation(url, name, {
    script: (client, script) => {
      const { source } = ROUTING_SCRIPTS[script];
      return (numKeys, ...keysAndArgs) => client.eval(source, numKeys, ...keysAndArgs);
    },
    batchGet: async (client, keys) => {
      const values: Array<string | null> = [];
      for (const key of keys) values.push(await client.get(key));
      return values;
    },
  });
}
