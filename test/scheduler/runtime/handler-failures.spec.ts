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
  const logger = new CapturingLogger();

  before(async () => {
    server = await RedisServer.start();
    ({ app, scheduler } = await startSchedulerApp({
      redis: { redis: server.url },
      scheduler: { namespace: 'odd-throws', pollIntervalMs: 100, leaseMs: LEASE_MS },
      logger,
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
        // Each attempt logged once, with what it threw.
        const lines = logger.find('error', `"${id}"`).map((line) => String(line.message));
        assert.deepEqual(
          lines.map((line) => /attempt (\d) of 2/.exec(line)?.[1]),
          ['1', '2'],
          logger.allText(),
        );
        assert.ok(
          lines.every((line) => line.endsWith(`failed: ${recorded}`)),
          lines.join('\n'),
        );
      });
    }
  });
});

/**
 * A scheduler app whose connection logs in as the ACL user `user` (its password must reach no run history and no
 * log line), for the tests of one describe block.
 */
function useAclSchedulerApp(user: string, password: string, namespace: string) {
  const fixture = { logger: new CapturingLogger() } as {
    logger: CapturingLogger;
    server: RedisServer;
    scheduler: DistributedSchedulerService;
  };
  let app: TestingModule | undefined;
  before(async () => {
    fixture.server = await RedisServer.start();
    await fixture.server.cli('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    const { host, port } = fixture.server;
    ({ app, scheduler: fixture.scheduler } = await startSchedulerApp({
      redis: { redis: { host, port, username: user, password } },
      scheduler: { namespace, pollIntervalMs: 100, leaseMs: LEASE_MS },
      logger: fixture.logger,
    }));
  });
  after(async () => {
    await app?.close();
    await fixture.server?.dispose();
  });
  return fixture;
}

describe('error messages are stored scrubbed of credentials and capped', () => {
  const USER = 'scheduler-app';
  const PASSWORD = 'acl-user-pw-7c41d9e0';
  const f = useAclSchedulerApp(USER, PASSWORD, 'error-text');
  const { logger } = f;

  it(`a 4 MiB message with the connection's password: stored without it, at most ${SCHEDULER_LIMITS.maxErrorMessageBytes} bytes, with its length`, async () => {
    const message =
      `login as ${USER} with ${PASSWORD} refused by redis://${USER}:${PASSWORD}@cache:6379; ` +
      `body: ${'x'.repeat(4 * 1024 * 1024)}`;
    f.scheduler.registerWorkflow('loud', () => {
      throw new Error(message);
    });
    await f.scheduler.addTask({
      id: 'loud',
      name: 'loud',
      cron: '0 0 1 1 *',
      workflow: 'loud',
      retry: { attempts: 2, backoffMs: 10 },
      maxConsecutiveFailures: 1,
    });
    await f.scheduler.triggerTask('loud');
    const runs = await settledRuns(f.scheduler, 'loud', ['retry', 'failed']);
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
    const historyBytes = Number(await f.server.cli('MEMORY', 'USAGE', 'sf:{error-text:sched}:history:loud'));
    assert.ok(historyBytes < 16 * 1024, `history key: ${historyBytes} bytes`);
    // The warning of the disabled task quotes the stored message, not the thrown one.
    await pollUntil('the disabled warning', 5_000, async () =>
      logger.find('warn', /"loud" is disabled/).length > 0 ? true : 'not logged',
    );
    assert.ok(!logger.allText().includes(PASSWORD), 'the password is in no log line');
  });
});

describe('every failed attempt is logged once, its stack kept in the history', () => {
  const USER = 'stack-user';
  const PASSWORD = 'acl-stack-pw-2f9a61c3';
  const f = useAclSchedulerApp(USER, PASSWORD, 'stacks');
  const { logger } = f;

  it('one ERROR line per failed attempt (task, fire time, attempt, scrubbed stack), a WARN summary per retry and for the end', async () => {
    function failingStep(): never {
      throw new Error(`upstream refused redis://${USER}:${PASSWORD}@cache:6379`);
    }
    f.scheduler.registerWorkflow('flaky', () => failingStep());
    await f.scheduler.addTask({
      id: 'flaky',
      name: 'flaky',
      cron: '0 0 1 1 *',
      enabled: false,
      workflow: 'flaky',
      retry: { attempts: 3, backoffMs: 10 },
    });
    await f.scheduler.triggerTask('flaky');
    const runs = await settledRuns(f.scheduler, 'flaky', ['retry', 'retry', 'failed']);
    const fireTime = runs[0].scheduledAt.toISOString();
    await pollUntil('three error lines', 5_000, async () =>
      logger.find('error', /"flaky"/).length >= 3 ? true : `${logger.find('error', /"flaky"/).length} lines`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const errors = logger.find('error', /"flaky"/);
    assert.equal(errors.length, 3, logger.allText());
    errors.forEach((line, index) => {
      assert.ok(line.text.includes(`attempt ${index + 1} of 3`), line.text);
      assert.ok(line.text.includes(fireTime), line.text);
      assert.ok(line.text.includes('upstream refused'), line.text);
      assert.ok(line.text.includes('failingStep'), `no stack: ${line.text}`);
      assert.equal(line.context, 'DistributedScheduler');
    });
    const warnings = logger.find('warn', /"flaky"/);
    assert.equal(warnings.filter((line) => /retry at/.test(line.text)).length, 2, logger.allText());
    assert.equal(warnings.filter((line) => /failed after 3 attempts/.test(line.text)).length, 1, logger.allText());
    assert.ok(!logger.allText().includes(PASSWORD), 'the password is in no log line');
    for (const run of runs) {
      assert.ok(run.errorStack?.includes('failingStep'), String(run.errorStack));
      assert.ok(!run.errorStack?.includes(PASSWORD), String(run.errorStack));
    }
  });

  it(`a stack is stored capped at ${SCHEDULER_LIMITS.maxErrorStackBytes} bytes; a thrown non-Error has none`, async () => {
    function recurse(depth: number): never {
      if (depth === 0) throw new Error('deep');
      return recurse(depth - 1);
    }
    f.scheduler.registerWorkflow('deep', () => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 2_000;
      try {
        recurse(1_500);
      } finally {
        Error.stackTraceLimit = limit;
      }
    });
    f.scheduler.registerWorkflow('plain', () => {
      throw 'just a string';
    });
    for (const id of ['deep', 'plain']) {
      await f.scheduler.addTask({
        id,
        name: id,
        cron: '0 0 1 1 *',
        enabled: false,
        workflow: id,
        retry: { attempts: 1 },
      });
      await f.scheduler.triggerTask(id);
    }
    const [deep] = await settledRuns(f.scheduler, 'deep', ['failed']);
    const stack = deep.errorStack as string;
    assert.ok(Buffer.byteLength(stack, 'utf8') <= SCHEDULER_LIMITS.maxErrorStackBytes, `${stack.length} chars`);
    assert.match(stack, /recurse/);
    assert.match(stack, /… \[truncated, \d+ characters in all\]$/);
    const [plain] = await settledRuns(f.scheduler, 'plain', ['failed']);
    assert.equal(plain.error, 'just a string');
    assert.equal(plain.errorStack, null);
    assert.equal(logger.find('error', /"plain"/).length, 1, logger.allText());
  });
});
