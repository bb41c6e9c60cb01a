import { after, before, beforeEach } from 'node:test';
import { RedisServer } from './redis-server';

/**
 * One redis-server for the tests of a file: started before them (and handed to `started`), emptied before each
 * (FLUSHALL, and SCRIPT FLUSH too with `flushScripts`), disposed after them.
 */
export function useRedisServer(started: (server: RedisServer) => void, options: { flushScripts?: boolean } = {}): void {
  let server: RedisServer | undefined;
  before(async () => {
    server = await RedisServer.start();
    started(server);
  });
  after(async () => {
    await server?.dispose();
  });
  beforeEach(async () => {
    await server?.cli('FLUSHALL');
    if (options.flushScripts) await server?.cli('SCRIPT', 'FLUSH');
  });
}
