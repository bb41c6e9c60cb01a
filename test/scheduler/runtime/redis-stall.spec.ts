import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DistributedSchedulerHealthIndicator } from '../../../lib';
import { CapturingLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

const POLL_INTERVAL_MS = 200;
const COMMAND_TIMEOUT_MS = 1_000;
/** Timers and a loaded machine (2 shared CPUs): what the bound may be late by. */
const SLACK_MS = 1_000;

describe('a stalled Redis (SIGSTOP) seen from the scheduler', () => {
  let server: RedisServer;
  let app: TestingModule | undefined;
  const logger = new CapturingLogger();

  beforeEach(async () => {
    logger.clear();
    server = await RedisServer.start();
    ({ app } = await startSchedulerApp({
      redis: { redis: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS },
      scheduler: { namespace: 'stall', pollIntervalMs: POLL_INTERVAL_MS },
      logger,
    }));
  });
  afterEach(async () => {
    server.resume();
    await app?.close();
    await server?.dispose();
  });

  it('says once that it stopped claiming and once that it claims again; the connection logs the stall and the recovery', async () => {
    // A few looks succeed first.
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_INTERVAL_MS));
    server.pause();
    await pollUntil('the stop of claiming', 10_000, async () =>
      logger.find('warn', /Stopped claiming runs/).length > 0 ? true : 'not logged',
    );
    await pollUntil('the stall warning', 10_000, async () =>
      logger.find('warn', /not answering/).length > 0 ? true : 'not logged',
    );
    // Looks keep failing meanwhile: no more lines.
    await new Promise((resolve) => setTimeout(resolve, 2 * COMMAND_TIMEOUT_MS));
    assert.equal(logger.find('warn', /Stopped claiming runs/).length, 1, logger.allText());
    assert.equal(logger.find('warn', /not answering/).length, 1, logger.allText());
    const [stopped] = logger.find('warn', /Stopped claiming runs/);
    assert.equal(stopped.context, 'DistributedScheduler');
    assert.match(stopped.text, /timed out/i);
    server.resume();
    await pollUntil('claiming again', 10_000, async () =>
      logger.find('log', /Claiming runs again/).length > 0 ? true : 'not logged',
    );
    await pollUntil('the recovery line', 10_000, async () =>
      logger.find('log', /recovered/).length > 0 ? true : 'not logged',
    );
    assert.equal(logger.find('log', /Claiming runs again/).length, 1, logger.allText());
  });

  it(`the health indicator is down within pollIntervalMs + commandTimeoutMs of the stall`, async () => {
    const indicator = app!.get(DistributedSchedulerHealthIndicator);
    await pollUntil('up', 5_000, async () =>
      (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
    );
    server.pause();
    const stalledAt = performance.now();
    const down = await pollUntil('down', 10_000, async () => {
      const result = (await indicator.isHealthy('scheduler')).scheduler;
      return result.status === 'down' ? result : 'still up';
    });
    const upForMs = performance.now() - stalledAt;
    assert.ok(upForMs <= POLL_INTERVAL_MS + COMMAND_TIMEOUT_MS + SLACK_MS, `still up ${Math.round(upForMs)} ms`);
    assert.equal(down.redisReachable, false);
    assert.match(String(down.message), /last look at Redis failed; no run starts until one succeeds/);
  });
});
