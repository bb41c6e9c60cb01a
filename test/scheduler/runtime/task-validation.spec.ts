import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DistributedSchedulerService, ErrorCode, StatefulError } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { namespaceSnapshot } from './namespace-snapshot';
import { startSchedulerApp } from './scheduler-app';

const NAMESPACE = 'validation';
const BASE = `sf:{${NAMESPACE}:sched}`;
const VALID = { id: 'report', name: 'report', cron: '*/5 * * * *', workflow: 'known' };

let server: RedisServer;
let app: TestingModule;
let scheduler: DistributedSchedulerService;

before(async () => {
  server = await RedisServer.start();
  // A long poll: the loop's heartbeat is the only other write, and it goes to `replicas` only.
  ({ app, scheduler } = await startSchedulerApp({
    redis: { redis: server.url },
    scheduler: { namespace: NAMESPACE, pollIntervalMs: 60_000 },
  }));
  scheduler.registerWorkflow('known', () => undefined);
});
after(async () => {
  await app?.close();
  await server?.dispose();
});

const snapshot = () => namespaceSnapshot(server, BASE);

async function refused(action: () => Promise<unknown>, code: ErrorCode, field?: string): Promise<StatefulError> {
  const before = await snapshot();
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof StatefulError, String(error));
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field, error.message);
    assert.equal(await snapshot(), before, 'nothing written');
    return error;
  }
  assert.fail(`expected ${code}${field ? ` naming ${field}` : ''}`);
}

const circular: Record<string, unknown> = {};
circular.self = circular;

/** `levels` arrays and objects nested in one another, alternately, around a string. */
function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = level % 2 === 0 ? [value] : { inner: value };
  return value;
}

const BAD_INPUTS: Array<[string, string, Record<string, unknown>]> = [
  ['name missing', 'name', { name: undefined, id: undefined }],
  ['name empty', 'name', { name: '' }],
  ['name too long', 'name', { name: 'n'.repeat(513) }],
  ['name with {', 'name', { name: 'a{b' }],
  ['name with }', 'name', { name: 'a}b' }],
  ['name with a control character', 'name', { name: 'a\nb' }],
  ['name not a string', 'name', { name: 42 }],
  ['id empty', 'id', { id: '' }],
  ['id with a brace', 'id', { id: 'x{y}' }],
  ['id with NUL', 'id', { id: 'a\u0000' }],
  ['id too long', 'id', { id: 'i'.repeat(513) }],
  ['cron not an expression', 'cron', { cron: 'every day' }],
  ['cron of 4 fields', 'cron', { cron: '* * * *' }],
  ['cron of 7 fields', 'cron', { cron: '0 * * * * * 2030' }],
  ['cron out of range', 'cron', { cron: '61 * * * *' }],
  ['cron missing', 'cron', { cron: undefined }],
  ['timeZone unknown', 'timeZone', { timeZone: 'Mars/Olympus_Mons' }],
  ['timeZone not a string', 'timeZone', { timeZone: 1 }],
  ['workflow unknown', 'workflow', { workflow: 'nobody-runs-this' }],
  ['workflow missing', 'workflow', { workflow: undefined }],
  ['payload a BigInt', 'payload', { payload: { n: 1n } }],
  ['payload a function', 'payload', { payload: () => 1 }],
  ['payload a circular object', 'payload', { payload: circular }],
  ['payload a Date', 'payload', { payload: { at: new Date() } }],
  ['payload NaN', 'payload', { payload: [Number.NaN] }],
  ['payload a Map', 'payload', { payload: new Map() }],
  ['payload over 64 KiB', 'payload', { payload: { text: 'x'.repeat(64 * 1024) } }],
  ['payload an array with holes', 'payload', { payload: new Array(2) }],
  ['payload nested 33 levels deep', 'payload', { payload: nested(33) }],
  ['payload nested 1100 levels deep', 'payload', { payload: nested(1100) }],
  ['payload nested 200 000 levels deep', 'payload', { payload: nested(200_000) }],
  ['overlap unknown', 'overlap', { overlap: 'sometimes' }],
  ['misfire unknown', 'misfire', { misfire: 'never' }],
  ['misfireGraceMs negative', 'misfireGraceMs', { misfireGraceMs: -1 }],
  ['misfireGraceMs fractional', 'misfireGraceMs', { misfireGraceMs: 1.5 }],
  ['misfireGraceMs a string', 'misfireGraceMs', { misfireGraceMs: '10' }],
  ['jitterMs negative', 'jitterMs', { jitterMs: -1 }],
  ['jitterMs over a day', 'jitterMs', { jitterMs: 86_400_001 }],
  ['leaseMs too short', 'leaseMs', { leaseMs: 10 }],
  ['leaseMs fractional', 'leaseMs', { leaseMs: 1000.5 }],
  ['retry attempts 0', 'retry.attempts', { retry: { attempts: 0 } }],
  ['retry attempts fractional', 'retry.attempts', { retry: { attempts: 1.5 } }],
  ['retry backoffMs negative', 'retry.backoffMs', { retry: { backoffMs: -1 } }],
  ['retry not an object', 'retry', { retry: 3 }],
  ['retry with an unknown key', 'retry.tries', { retry: { tries: 3 } }],
  ['maxConsecutiveFailures 0', 'maxConsecutiveFailures', { maxConsecutiveFailures: 0 }],
  ['enabled a string', 'enabled', { enabled: 'yes' }],
  ['a misspelled option', 'misfireGrace', { misfireGrace: 10 }],
  // Redis's JSON decoder refuses half a UTF-16 pair: such a task could never be updated.
  ['a payload string with a lone surrogate', 'payload', { payload: { note: 'a\uD800b' } }],
  ['a payload key with a lone surrogate', 'payload', { payload: { ['\uDC00']: 1 } }],
];

describe('addTask refuses bad input with INVALID_PARAMETER naming the field, nothing written', () => {
  for (const [title, field, change] of BAD_INPUTS) {
    it(title, async () => {
      const input = { ...VALID, ...change };
      for (const [key, value] of Object.entries(change))
        if (value === undefined) delete (input as Record<string, unknown>)[key];
      await refused(() => scheduler.addTask(input as never), ErrorCode.INVALID_PARAMETER, field);
    });
  }

  it('upsertTask refuses every one of them the same way, nothing written', async () => {
    for (const [title, field, change] of BAD_INPUTS) {
      const input = { ...VALID, ...change };
      for (const [key, value] of Object.entries(change))
        if (value === undefined) delete (input as Record<string, unknown>)[key];
      if (input.id === undefined) input.id = 'upserted';
      const error = await refused(() => scheduler.upsertTask(input as never), ErrorCode.INVALID_PARAMETER, field);
      assert.match(error.message, /upsertTask/, title);
    }
  });

  it('a misspelled option is named with the option meant', async () => {
    const error = await refused(
      () => scheduler.addTask({ ...VALID, overlapp: 'skip' } as never),
      ErrorCode.INVALID_PARAMETER,
      'overlapp',
    );
    assert.match(error.message, /did you mean "overlap"/);
  });

  for (const [given, meant] of [
    ['disabled', 'enabled: false'],
    ['tz', 'timeZone'],
    ['pattern', 'cron'],
    ['attempts', 'retry: { attempts }'],
    ['retries', 'retry: { attempts }'],
    ['maxRetries', 'retry: { attempts }'],
    ['backoff', 'retry: { backoffMs }'],
    ['data', 'payload'],
  ] as const) {
    it(`"${given}" (@nestjs/schedule's, BullMQ's) is named with the option meant: ${meant}`, async () => {
      const error = await refused(
        () => scheduler.addTask({ ...VALID, [given]: 1 } as never),
        ErrorCode.INVALID_PARAMETER,
        given,
      );
      assert.ok(error.message.endsWith(`unknown option "${given}" — did you mean "${meant}"?`), error.message);
    });
  }

  it('a number option given as a string says "not a string"', async () => {
    const error = await refused(
      () => scheduler.addTask({ ...VALID, jitterMs: '100' } as never),
      ErrorCode.INVALID_PARAMETER,
      'jitterMs',
    );
    assert.match(error.message, /"jitterMs": must be an integer from 0 to \d+, got a string \("100"\)$/);
  });

  it('input not an object', async () => {
    await refused(() => scheduler.addTask(null as never), ErrorCode.INVALID_PARAMETER, 'input');
  });

  it('a payload nested too deep is named with the limit', async () => {
    const error = await refused(
      () => scheduler.addTask({ ...VALID, payload: { rows: [nested(31)] } }),
      ErrorCode.INVALID_PARAMETER,
      'payload',
    );
    assert.match(error.message, /"payload": must be nested at most 32 levels deep/);
  });

  it('accepts the limits themselves: 512-character name, 64 KiB payload, 32 levels deep, 6 fields with seconds', async () => {
    const name = 'n'.repeat(512);
    const payload = 'p'.repeat(64 * 1024 - 2); // JSON adds the quotes
    const task = await scheduler.addTask({ id: 'limits', name, cron: '0 */5 * * * *', workflow: 'known', payload });
    assert.equal(task.name, name);
    assert.equal(task.payload, payload);
    const deep = await scheduler.updateTask('limits', { payload: nested(32) });
    assert.deepEqual(deep.payload, nested(32));
    assert.equal((await scheduler.updateTask('limits', { name: 'renamed' })).name, 'renamed');
    assert.equal(await scheduler.removeTask('limits'), true);
  });
});

describe('class instances as input (validated DTOs)', () => {
  class RetryDto {
    attempts = 2;
  }
  class AddTaskDto {
    id = 'from-dto';
    name = 'from dto';
    cron = '0 0 * * *';
    workflow = 'known';
    retry = new RetryDto();
  }

  it('are read like plain objects; a class instance in the payload is still refused', async () => {
    const task = await scheduler.addTask(new AddTaskDto());
    assert.deepEqual(task.retry, { attempts: 2, backoffMs: 1000 });
    const patched = await scheduler.updateTask('from-dto', Object.assign(new (class PatchDto {})(), { jitterMs: 5 }));
    assert.equal(patched.jitterMs, 5);
    await scheduler.removeTask('from-dto');
    await refused(
      () => scheduler.addTask({ ...VALID, payload: new RetryDto() }),
      ErrorCode.INVALID_PARAMETER,
      'payload',
    );
  });
});

describe('ids', () => {
  it('an existing id is ALREADY_EXISTS, nothing changed', async () => {
    await scheduler.addTask({ ...VALID, id: 'taken' });
    const error = await refused(
      () => scheduler.addTask({ ...VALID, id: 'taken', cron: '0 0 * * *' }),
      ErrorCode.ALREADY_EXISTS,
    );
    assert.equal(error.operation, 'addTask');
    assert.match(error.message, /^addTask: a scheduled task with id "taken" already exists/);
    assert.equal((await scheduler.getTask('taken'))?.cron, VALID.cron);
    await scheduler.removeTask('taken');
  });

  it('an unknown id: NOT_FOUND for updateTask, enableTask, disableTask, triggerTask, getRuns; null and false for getTask and removeTask', async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['updateTask', () => scheduler.updateTask('ghost', { cron: '0 0 * * *' })],
      ['enableTask', () => scheduler.enableTask('ghost')],
      ['disableTask', () => scheduler.disableTask('ghost')],
      ['triggerTask', () => scheduler.triggerTask('ghost')],
      ['getRuns', () => scheduler.getRuns('ghost')],
    ];
    for (const [operation, action] of calls) {
      const error = await refused(action, ErrorCode.NOT_FOUND);
      assert.equal(error.operation, operation);
      assert.match(error.message, new RegExp(`^${operation}: no scheduled task with id "ghost"`));
    }
    assert.equal(await scheduler.getTask('ghost'), null);
    assert.equal(await scheduler.removeTask('ghost'), false);
  });

  it('a malformed id is INVALID_PARAMETER naming id, for every method taking one', async () => {
    for (const action of [
      () => scheduler.updateTask('a{b}', {}),
      () => scheduler.removeTask(''),
      () => scheduler.enableTask('x\u0007'),
      () => scheduler.disableTask(7 as never),
      () => scheduler.triggerTask('t'.repeat(513)),
      () => scheduler.getTask('{'),
      () => scheduler.getRuns('}'),
    ]) {
      await refused(action, ErrorCode.INVALID_PARAMETER, 'id');
    }
  });
});

describe('updateTask refuses a bad patch naming the field, nothing written', () => {
  const PATCHES: Array<[string, Record<string, unknown>, string?]> = [
    ['cron', { cron: 'nope' }],
    ['timeZone', { timeZone: 'Nowhere/City' }],
    ['workflow', { workflow: 'unknown-workflow' }],
    ['payload', { payload: { big: 'x'.repeat(70_000) } }],
    ['payload', { payload: nested(33) }, 'payload nested 33 levels deep'],
    ['overlap', { overlap: 'maybe' }],
    ['name', { name: 'a}' }],
    ['retry.attempts', { retry: { attempts: 101 } }],
    ['id', { id: 'renamed' }],
    ['source', { source: 'api' }],
  ];
  for (const [field, patch, title] of PATCHES) {
    it(title ?? field, async () => {
      await scheduler.addTask({ ...VALID, id: 'patched' }).catch(() => undefined);
      await refused(() => scheduler.updateTask('patched', patch as never), ErrorCode.INVALID_PARAMETER, field);
    });
  }

  it('applies a good patch: a new cron recomputes the next fire, version + 1', async () => {
    const before = (await scheduler.getTask('patched'))!;
    const after = await scheduler.updateTask('patched', {
      cron: '0 6 * * *',
      payload: { v: 2 },
      leaseMs: 5_000,
      retry: { attempts: 5 },
    });
    assert.equal(after.cron, '0 6 * * *');
    assert.equal((after.nextRunAt as Date).getUTCHours(), 6);
    assert.deepEqual(after.payload, { v: 2 });
    assert.equal(after.leaseMs, 5_000);
    assert.deepEqual(after.retry, { attempts: 5, backoffMs: 1000 });
    assert.ok(after.version > before.version);
    const reset = await scheduler.updateTask('patched', { leaseMs: null });
    assert.equal(reset.leaseMs, null);
    assert.equal(
      reset.nextRunAt?.getTime(),
      after.nextRunAt?.getTime(),
      'the next fire stays when the schedule does not change',
    );
  });
});

describe('other inputs', () => {
  it('getRuns limit, listTasks options, registerWorkflow name and fn', async () => {
    await scheduler.addTask({ ...VALID, id: 'runs-limit' }).catch(() => undefined);
    await refused(() => scheduler.getRuns('runs-limit', 0), ErrorCode.INVALID_PARAMETER, 'limit');
    await refused(() => scheduler.getRuns('runs-limit', 2.5), ErrorCode.INVALID_PARAMETER, 'limit');
    await refused(
      () => scheduler.listTasks({ enabledOnly: 'yes' } as never),
      ErrorCode.INVALID_PARAMETER,
      'enabledOnly',
    );
    await refused(() => scheduler.listTasks({ enabled: true } as never), ErrorCode.INVALID_PARAMETER, 'enabled');
    assert.throws(() => scheduler.registerWorkflow('known', () => undefined), {
      code: ErrorCode.INVALID_PARAMETER,
      field: 'name',
    });
    assert.throws(() => scheduler.registerWorkflow('a{', () => undefined), {
      code: ErrorCode.INVALID_PARAMETER,
      field: 'name',
    });
    assert.throws(() => scheduler.registerWorkflow('not-a-function', 'x' as never), {
      code: ErrorCode.INVALID_PARAMETER,
      field: 'fn',
    });
    assert.equal(scheduler.getStats().registeredWorkflows.includes('not-a-function'), false);
  });
});
