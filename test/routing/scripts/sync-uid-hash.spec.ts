import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readLuaSource } from '../../harness/lua-files';
import { RedisServer } from '../../harness/redis-server';

/**
 * Runs the removeLink include on its own. Inside a script the clock is frozen for key expiry but not for PTTL,
 * so a link written with PX 1 and followed by a 3 ms busy wait is still there with a PTTL of exactly 0:
 * the moment that a race between a link's expiry and a removal hits only now and then.
 */
const AT_PTTL_ZERO = `
local hashKey, persistentKey, temporaryKey = KEYS[1], KEYS[2], KEYS[3]
rcall('SET', persistentKey, '1')
rcall('SET', temporaryKey, '2', 'PX', 1)
rcall('HSET', hashKey, 'persistent', '1', 'temporary', '2')
local function micros() local t = rcall('TIME') return t[1] * 1000000 + t[2] end
local started = micros()
repeat until micros() - started > 3000
local temporaryTtl = rcall('PTTL', temporaryKey)
removeLink(hashKey, persistentKey, 'persistent', 0)
return { temporaryTtl, rcall('PTTL', hashKey) }
`;

describe('syncUidHash at the edge of a link expiry', () => {
  let server: RedisServer;
  let client: Redis;

  before(async () => {
    server = await RedisServer.start();
    client = new Redis(server.port, server.host);
  });
  after(async () => {
    client?.disconnect();
    await server?.dispose();
  });

  it('counts a link whose PTTL is 0 as temporary: the hash gets a TTL, not none', async () => {
    // The include alone: it pulls in what it uses itself.
    const script = `local rcall = redis.call\n${readLuaSource('routing/includes/removeLink')}\n${AT_PTTL_ZERO}`;
    const hashKey = 'sf:{t:lk:u}';
    const keys = [hashKey, `${hashKey}persistent`, `${hashKey}temporary`];
    const [temporaryTtl, hashTtl] = (await client.eval(script, keys.length, ...keys)) as number[];
    assert.equal(temporaryTtl, 0, 'the set-up must reach PTTL 0');
    assert.ok(hashTtl >= 1, `the uid hash is left with PTTL ${hashTtl} while its only link expires now`);
    // Once the temporary link is gone, so is every key of the uid.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await client.keys('sf:{t:lk:u}*'), []);
  });
});
