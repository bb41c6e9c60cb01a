import type { Implementation } from './implementation';
import { rawIoredis } from './raw-ioredis.implementation';

/**
 * ioredis's supported batching: the raw ioredis baseline's very commands (`GET`, `EVALSHA`, `MGET`) on a client
 * created with `enableAutoPipelining: true`, which queues the commands of a tick into a pipeline sent on
 * `setImmediate` (one pipeline in flight at a time per connection). The alternative to the library's own write
 * coalescing, which patches ioredis's `sendCommand` on the module's connections.
 */
export function autopipelinedIoredis(url: string, name: string): Implementation {
  return rawIoredis(url, name, { enableAutoPipelining: true });
}
