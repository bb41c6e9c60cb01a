import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, StatefulError, type DistributedSchedulerService } from '../../../lib';
import { ReplyDroppingProxy } from '../../harness/reply-dropping-proxy';
import { useRedisServer } from '../../harness/redis-server-fixture';
import type { RedisServer } from '../../harness/redis-server';
import { sleep } from '../../harness/wait';
import { SCHEDULER_SCRIPTS } from '../../../lib/scheduler/store/scheduler-script-names';
import { startSchedulerApp } from '../../scheduler/runtime/scheduler-app';

/*
 * A reply lost with its connection (the call ran in Redis, the TCP connection reset before the reply came): the
 * library's connection does not send the call again after the reconnect (ioredis would by default), so a script
 * never runs twice for one call. The caller gets a connection error or a timeout: the outcome is unknown, never a
 * false answer.
 */

let server: RedisServer;
useRedisServer((started) => (server = started));

describe('a reply lost with its connection', () => {
  let proxy: ReplyDroppingProxy;
  let scheduler: DistributedSchedulerService;
  let close: () => Promise<void>;
  const manualRuns: string[] = [];

  before(async () => {
    proxy = await ReplyDroppingProxy.start(server.port);
    const started = await startSchedulerApp({
      redis: { redis: `redis://127.0.0.1:${proxy.port}`, metrics: false },
      scheduler: { namespace: 'reply-lost', pollIntervalMs: 200 },
    });
    scheduler = started.scheduler;
    close = () => started.app.close();
    scheduler.registerWorkflow('wf', (run) => void manualRuns.push(run.taskId));
  });
  after(async () => {
    await close();
    await proxy.close();
  });

  const outcome = (call: () => Promise<unknown>): Promise<{ value?: unknown; code?: ErrorCode }> =>
    call().then(
      (value) => ({ value }),
      (error: unknown) => {
        assert.ok(error instanceof StatefulError, String(error));
        return { code: error.code };
      },
    );

  it('triggerTask runs the handler once at most; addTask and removeTask never answer falsely', async () => {
    await scheduler.addTask({ id: 'trigger-once', name: 't', cron: '0 0 1 1 *', workflow: 'wf', overlap: 'allow' });
    proxy.arm('trigger-once');
    const trigger = await outcome(() => scheduler.triggerTask('trigger-once'));
    await sleep(2_000);
    assert.ok(manualRuns.filter((id) => id === 'trigger-once').length <= 1, `ran ${manualRuns.length} times`);

    proxy.arm('added-once');
    const add = await outcome(() =>
      scheduler.addTask({ id: 'added-once', name: 'a', cron: '0 0 1 1 *', workflow: 'wf' }),
    );
    assert.notEqual(add.code, ErrorCode.ALREADY_EXISTS, 'a task it created itself is not "already existing"');
    assert.ok((await scheduler.getTask('added-once')) !== null);

    await scheduler.addTask({ id: 'removed-once', name: 'r', cron: '0 0 1 1 *', workflow: 'wf' });
    // The removal's own script (removeTask reads the task first: a lost reply there removes nothing).
    proxy.arm(SCHEDULER_SCRIPTS.schedulerRemoveTask.sha);
    const remove = await outcome(() => scheduler.removeTask('removed-once'));
    assert.notEqual(remove.value, false, 'a task it removed itself is not "unknown"');
    assert.equal(await scheduler.getTask('removed-once'), null);

    assert.equal(proxy.dropped, 3);
    // The outcome is unknown to the caller: it is told the connection failed (or timed out), nothing else.
    const unknown: Array<ErrorCode | undefined> = [undefined, ErrorCode.REDIS_CONNECTION_ERROR, ErrorCode.TIMEOUT];
    for (const result of [trigger, add, remove]) assert.ok(unknown.includes(result.code), JSON.stringify(result));
  });
});
