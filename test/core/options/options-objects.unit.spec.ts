import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveDashboardOptions } from '../../../lib/dashboard/options/resolve-dashboard-options';
import { resolveOptions } from '../../../lib/core/options/resolve-options';
import { resolveScheduleOptions } from '../../../lib/scheduler/options/resolve-schedule-options';
import { validateNewTask } from '../../../lib/scheduler/validation/task-input.validator';

// Options often come from a config class (a forRootAsync factory returning `new RedisConfig(config)`), whose values
// are getters on its prototype: every option is read as `options.name`, as an app would, never only its own keys.
class RedisConfig {
  readonly redis = 'redis://127.0.0.1:1';
  get keyPrefix(): string {
    return 'app';
  }
  get commandTimeoutMs(): number {
    return 1234;
  }
}

class ScheduleConfig {
  get namespace(): string {
    return 'billing';
  }
  get maxConcurrent(): number {
    return 7;
  }
}

class DashboardConfig {
  get path(): string {
    return '/ops';
  }
  get readOnly(): true {
    return true;
  }
}

class BadScheduleConfig {
  get maxConcurrent(): number {
    return 0;
  }
}

describe('module options from a config class (values from getters)', () => {
  it('StatefulRedisModule: each getter is the option, not the default', () => {
    const resolved = resolveOptions(new RedisConfig());
    assert.equal(resolved.keyPrefix, 'app');
    assert.equal(resolved.commandTimeoutMs, 1234);
  });

  it('DistributedScheduleModule: the same', () => {
    const resolved = resolveScheduleOptions(new ScheduleConfig());
    assert.equal(resolved.namespace, 'billing');
    assert.equal(resolved.maxConcurrent, 7);
  });

  it('StatefulDashboardModule: the same', () => {
    const resolved = resolveDashboardOptions(new DashboardConfig());
    assert.equal(resolved.path, '/ops');
    assert.equal(resolved.readOnly, true);
  });

  it("a getter's value is validated like any other", () => {
    assert.throws(() => resolveScheduleOptions(new BadScheduleConfig()), /"maxConcurrent" must be at least 1/);
  });
});

describe('options objects without a prototype (querystring, some config loaders)', () => {
  const bare = <T extends object>(fields: T): T => Object.assign(Object.create(null) as T, fields);

  it('are read like any object', () => {
    const resolved = resolveOptions(bare({ redis: 'redis://127.0.0.1:1', nearCache: bare({ maxEntries: 10 }) }));
    assert.equal(resolved.nearCache?.maxEntries, 10);
  });

  it('an unknown key inside one is refused, naming it, as in any object (it was let through before)', () => {
    const podLiveness = bare({ timeoutMs: 5_000, sweepEvery: 1 });
    assert.throws(() => resolveOptions({ redis: 'redis://127.0.0.1:1', podLiveness }), {
      field: 'podLiveness.sweepEvery',
    });
    const retry = bare({ attempts: 2, jitter: true });
    const task = { id: 't', name: 't', cron: '* * * * *', workflow: 'w', retry };
    assert.throws(() => validateNewTask('addTask', task, 'api', 'generated'), { field: 'retry.jitter' });
  });
});
