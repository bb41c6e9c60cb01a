import type { RedisOptions } from 'ioredis';
import { ROUTING_SCRIPTS } from '../../lib/routing/routing-script-names';
import type { Implementation } from './implementation';
import { redisClientImplementation } from './redis-client.implementation';

/**
 * The floor: a plain ioredis client sending the library's commands and scripts (by SHA) itself,
 * written the way an application would (`client.get(key)`, `client.evalsha(sha, n, ...)`, `client.mget(keys)`),
 * without validating inputs or parsing replies. `options` go to the client (default: none, one write per command).
 */
export function rawIoredis(url: string, name: string, options: RedisOptions = {}): Implementation {
  return redisClientImplementation(
    url,
    name,
    {
      script: (client, script) => {
        const { sha } = ROUTING_SCRIPTS[script];
        return (numKeys, ...keysAndArgs) => client.evalsha(sha, numKeys, ...keysAndArgs);
      },
      batchGet: (client, keys) => client.mget(keys),
    },
    options,
  );
}
