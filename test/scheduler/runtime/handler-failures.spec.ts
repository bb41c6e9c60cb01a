import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DistributedSchedulerService, TaskRun } from '../../../lib';
import { SCHEDULER_LIMITS } from '../../../lib/scheduler/options/scheduler-limits';
import { CapturingLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

/** Far longer than the waits below: an attempt recorded in time was recorded by its finish, not by its lease. */
const LEASE_MS = 60_000;
const SETTLED_WITHIN_MS = 10_000;

class MessageGetterThrows extends Error {
  override get message(): string {
    throw new Error('no message for you');
  }
}

/** What a handler throws, and the error its failed attempt records. */
const ODD_VALUES: Array<[string, () => unknown, string]> = [
  ['null', () => null, 'null'],
  ['undefined', () => undefined, 'undefined'],
  ['a symbol', () => Symbol('odd'), 'Symbol(odd)'],
  ['a null-prototype object', () => Object.create(null), '[object Object]'],
  [
    'an object whose toString throws',
    () => ({
      toString() {
        throw new Error('not printable');
      },
    }),
    '[object Object]',
  ],
  ['an Error whose message getter throws', () => new MessageGetterThrows(), '[object Error]'],
];

function settledRuns(scheduler: DistributedSchedulerService, id: string, statuses: string[]): Promise<TaskRun[]> {
  return pollUntil(`runs ${statuses.join(', ')} of ${id}`, SETTLED_WITHIN_MS, async () => {
    const runs = await scheduler.getRuns(id);
    const seen = runs.map((run) => run.status).reverse();
    return JSON.stringify(seen) === JSON.stringify(statuses) ? runs : `runs: ${JSON.stringify(seen)}`;
  });
}

describe('anything a handler throws is a failed attempt at once', () => {
  let server: RedisServer;
  let app: TestingModule;
  let scheduler: DistributedSchedulerService;

  before(async () => {
    server = await RedisServer.start();
    ({ app, scheduler } = await startSchedulerApp({
      redis: { redis: server.url },
      scheduler: { namespace: 'odd-throws', pollIntervalMs: 100, leaseMs: LEASE_MS },
    }));
  });
  after(async () => {
    await app?.close();
    await server?.dispose();
  });

  ODD_VALUES.forEach(([title, value, recorded], index) => {
    for (const how of ['thrown', 'rejected with'] as const) {
      it(`${how} ${title}: recorded retry, then failed, with "${recorded}"`, async () => {
        const id = `odd-${index}-${how === 'thrown' ? 'sync' : 'async'}`;
        scheduler.registerWorkflow(
          id,
          how === 'thrown'
            ? () => {
                throw value();
              }
            : () => Promise.reject(value()),
        );
        await scheduler.addTask({
          id,
          name: id,
          cron: '0 0 1 1 *',
          enabled: false,
          workflow: id,
          retry: { attempts: 2, backoffMs: 10 },
        });
        await scheduler.triggerTask(id);
        const [failed, retry] = await settledRuns(scheduler, id, ['retry', 'failed']);
        assert.deepEqual([retry.attempt, retry.error], [1, recorded]);
        assert.deepEqual([failed.attempt, failed.error], [2, recorded]);
        assert.equal(scheduler.getStats().runningTasks, 0);
      });
    }
  });
});

describe('error messages are stored scrubbed of credentials and capped', () => {
  const USER = 'scheduler-app';
  const PASSWORD = 'acl-user-pw-7c41d9e0';
  let server: RedisServer;
  let app: TestingModule;
  let scheduler: DistributedSchedulerService;
  const logger = new CapturingLogger();

  before(async () => {
    server = await RedisServer.start();
    await server.cli('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
    // The connection logs in as an ACL user: its password is what must not reach the history.
    ({ app, scheduler } = await startSchedulerApp({
      redis: { redis: { host: server.host, port: server.port, username: USER, password: PASSWORD } },
      scheduler: { namespace: 'error-text', pollIntervalMs: 100, leaseMs: LEASE_MS },
      logger,
    }));
  });
  after(async () => {
    await app?.close();
    await server?.dispose();
  });

  it(`a 4 MiB message with the connection's password: stored without it, at most ${SCHEDULER_LIMITS.maxErrorMessageBytes} bytes, with its length`, async () => {
    const message =
      `login as ${USER} with ${PASSWORD} refused by redis://${USER}:${PASSWORD}@cache:6379; ` +
      `body: ${'x'.repeat(4 * 1024 * 1024)}`;
    scheduler.registerWorkflow('loud', () => {
      throw new Error(message);
    });
    await scheduler.addTask({
      id: 'loud',
      name: 'loud',
      cron: '0 0 1 1 *',
      workflow: 'loud',
      retry: { attempts: 2, backoffMs: 10 },
      maxConsecutiveFailures: 1,
    });
    await scheduler.triggerTask('loud');
    const runs = await settledRuns(scheduler, 'loud', ['retry', 'failed']);
    for (const run of runs) {
      const error = run.error as string;
      assert.ok(Buffer.byteLength(error, 'utf8') <= SCHEDULER_LIMITS.maxErrorMessageBytes, `${error.length} chars`);
      assert.ok(!error.includes(PASSWORD), error.slice(0, 200));
      assert.ok(
        error.startsWith(
          `login as ${USER} with [redacted] refused by redis://${USER}:[redacted]@cache:6379; body: xxx`,
        ),
        error.slice(0, 200),
      );
      // The length of the message as stored whole: scrubbed (each password became `[redacted]`).
      const scrubbedLength = message.length - 2 * (PASSWORD.length - '[redacted]'.length);
      assert.ok(error.endsWith(`… [truncated, ${scrubbedLength} characters in all]`), error.slice(-80));
    }
    const historyBytes = Number(await server.cli('MEMORY', 'USAGE', 'sf:{error-text:sched}:history:loud'));
    assert.ok(historyBytes < 16 * 1024, `history key: ${historyBytes} bytes`);
    // The warning of the disabled task quotes the stored message, not the thrown one.
    await pollUntil('the disabled warning', 5_000, async () =>
      logger.find('warn', /"loud" is disabled/).length > 0 ? true : 'not logged',
    );
    assert.ok(!logger.allText().includes(PASSWORD), 'the password is in no log line');
  });
});
