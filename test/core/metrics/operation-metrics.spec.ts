import { Test } from '@nestjs/testing';
import Module from 'node:module';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Counter, Registry, register as defaultRegister } from 'prom-client';
import {
  ErrorCode,
  METRIC_NAMES,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { createOperationMetrics, defaultPromRegistry } from '../../../lib/core/metrics/operation-metrics.factory';
import { DURATION_BUCKETS, OperationMetrics } from '../../../lib/core/metrics/operation-metrics';
import { RedisServer } from '../../harness/redis-server';
import { startStatefulApp } from '../../harness/stateful-app';

/** Every metric the library registers: operations, errors, durations, near-cache tracking. */
const METRIC_COUNT = Object.keys(METRIC_NAMES).length;

/** The value of one sample line of the Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const escaped = `${name}{${labels}}`.replace(/[{}()[\].+*?^$|\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('operation metrics', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    await server?.dispose();
  });

  beforeEach(() => defaultRegister.clear());

  describe('through the module, on a real Redis', () => {
    it('counts calls, errors by code and durations per operation in the given registry', async () => {
      const registry = new Registry();
      const app = await startStatefulApp({ redis: server.url, metrics: { registry } });
      try {
        await app.service.setServiceState('m', 'svc', 0, 'running');
        for (const uid of ['a', 'b', 'c']) await app.service.computeLinkedPodIfAbsent('m', uid, 'svc', -1);
        await app.service.getLinkedPod('m', 'a', 'svc');
        await server.cli('SET', 'sf:{m:state:broken}', 'string');
        await assert.rejects(app.service.getServiceState('m', 'broken'), StatefulError);
        // Rejected by argument validation before any Redis call: not counted.
        await assert.rejects(app.service.getLinkedPod('bad:ns', 'a', 'svc'), { code: ErrorCode.INVALID_PARAMETER });

        const text = await registry.metrics();
        assert.equal(
          sample(text, METRIC_NAMES.operations, 'feature="routing",operation="computeLinkedPodIfAbsent"'),
          3,
        );
        assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="setServiceState"'), 1);
        assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="getLinkedPod"'), 1);
        assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="getServiceState"'), 1);
        const errorLine = new RegExp(
          `^${METRIC_NAMES.errors}\\{feature="routing",operation="getServiceState",code="(LUA_SCRIPT_ERROR|REDIS_OPERATION_ERROR)"\\} 1$`,
          'm',
        );
        assert.match(text, errorLine);
        assert.equal(
          sample(text, METRIC_NAMES.errors, 'feature="routing",operation="getLinkedPod",code="INVALID_PARAMETER"'),
          undefined,
        );

        assert.equal(
          sample(text, `${METRIC_NAMES.duration}_count`, 'feature="routing",operation="computeLinkedPodIfAbsent"'),
          3,
        );
        assert.equal(
          sample(
            text,
            `${METRIC_NAMES.duration}_bucket`,
            'feature="routing",operation="computeLinkedPodIfAbsent",le="+Inf"',
          ),
          3,
        );
        const sum = sample(
          text,
          `${METRIC_NAMES.duration}_sum`,
          'feature="routing",operation="computeLinkedPodIfAbsent"',
        )!;
        assert.ok(sum > 0 && sum < 3, `sum ${sum}`);
        let previous = 0;
        for (const bound of DURATION_BUCKETS) {
          const value = sample(
            text,
            `${METRIC_NAMES.duration}_bucket`,
            `feature="routing",operation="computeLinkedPodIfAbsent",le="${bound}"`,
          )!;
          assert.ok(value >= previous && value <= 3, `bucket ${bound}: ${value} (cumulative)`);
          previous = value;
        }
        assert.match(text, new RegExp(`^# TYPE ${METRIC_NAMES.operations} counter$`, 'm'));
        assert.match(text, new RegExp(`^# TYPE ${METRIC_NAMES.errors} counter$`, 'm'));
        assert.match(text, new RegExp(`^# TYPE ${METRIC_NAMES.duration} histogram$`, 'm'));
        assert.equal(await defaultRegister.metrics(), '\n', 'nothing in the default registry when a registry is given');
      } finally {
        await app.close();
      }
    });

    it('counts calls refused before init and after shutdown as NOT_INITIALIZED, without a duration', async () => {
      const registry = new Registry();
      const moduleRef = await Test.createTestingModule({
        imports: [StatefulRedisModule.forRoot({ redis: server.url, metrics: { registry } })],
      }).compile();
      const service = moduleRef.get(StatefulExecutorService);
      await assert.rejects(service.getLinkedPod('m', 'a', 'svc'), { code: ErrorCode.NOT_INITIALIZED });
      await moduleRef.init();
      await moduleRef.close();
      await assert.rejects(service.getLinkedPod('m', 'a', 'svc'), { code: ErrorCode.NOT_INITIALIZED });
      const text = await registry.metrics();
      assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="getLinkedPod"'), 2);
      assert.equal(
        sample(text, METRIC_NAMES.errors, 'feature="routing",operation="getLinkedPod",code="NOT_INITIALIZED"'),
        2,
      );
      assert.equal(sample(text, `${METRIC_NAMES.duration}_count`, 'feature="routing",operation="getLinkedPod"'), 0);
    });

    it("goes to prom-client's default registry by default; two apps in one process share it", async () => {
      const first = await startStatefulApp({ redis: server.url });
      const second = await startStatefulApp({ redis: server.url, keyPrefix: 'other' });
      try {
        await first.service.getLinkedPod('m', 'a', 'svc');
        await second.service.getLinkedPod('m', 'a', 'svc');
        await second.service.getLinkedPod('m', 'b', 'svc');
        const text = await defaultRegister.metrics();
        assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="getLinkedPod"'), 3);
        assert.equal(defaultRegister.getMetricsAsArray().length, METRIC_COUNT);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('is off with metrics: false', async () => {
      const registry = new Registry();
      const app = await startStatefulApp({ redis: server.url, metrics: false });
      try {
        await app.service.getLinkedPod('m', 'a', 'svc');
        assert.equal(defaultRegister.getMetricsAsArray().length, 0);
        assert.equal(registry.getMetricsAsArray().length, 0);
      } finally {
        await app.close();
      }
    });

    it('registers again, from zero, in a registry that was cleared (register.clear() between tests)', async () => {
      const registry = new Registry();
      const first = await startStatefulApp({ redis: server.url, metrics: { registry } });
      await first.service.getLinkedPod('m', 'a', 'svc');
      await first.close();
      registry.clear();
      const second = await startStatefulApp({ redis: server.url, metrics: { registry } });
      try {
        await second.service.getLinkedPod('m', 'a', 'svc');
        assert.equal(
          sample(await registry.metrics(), METRIC_NAMES.operations, 'feature="routing",operation="getLinkedPod"'),
          1,
        );
      } finally {
        await second.close();
      }
    });

    it('refuses to start when another metric already has one of the names', async () => {
      const registry = new Registry();
      new Counter({ name: METRIC_NAMES.operations, help: 'someone else', registers: [registry] });
      await assert.rejects(startStatefulApp({ redis: server.url, metrics: { registry } }), (error: StatefulError) => {
        assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
        assert.equal(error.field, 'metrics');
        assert.match(error.message, new RegExp(METRIC_NAMES.operations));
        return true;
      });
    });

    it('rejects a bad metrics option, naming it', async () => {
      for (const metrics of ['yes', 1, { registry: {} }, { registry: 'default' }]) {
        await assert.rejects(
          startStatefulApp({ redis: server.url, metrics } as unknown as StatefulRedisModuleOptions),
          (error: StatefulError) =>
            error.code === ErrorCode.INVALID_PARAMETER && error.field === 'metrics' && /"metrics"/.test(error.message),
        );
      }
    });
  });

  describe('OperationMetrics', () => {
    it('puts a duration in the first bucket whose bound it does not exceed; slower ones only in +Inf', async () => {
      const registry = new Registry();
      const metrics = OperationMetrics.for(registry);
      metrics.succeeded('routing', 'op', 0.0001);
      metrics.succeeded('routing', 'op', 0.00011);
      metrics.failed('routing', 'op', ErrorCode.TIMEOUT, 7);
      metrics.failed('routing', 'op', ErrorCode.TIMEOUT, 2);
      const text = await registry.metrics();
      const bucket = (le: string) =>
        sample(text, `${METRIC_NAMES.duration}_bucket`, `feature="routing",operation="op",le="${le}"`);
      assert.equal(bucket('0.0001'), 1);
      assert.equal(bucket('0.00025'), 2);
      assert.equal(bucket('2.5'), 3);
      assert.equal(bucket('5'), 3);
      assert.equal(bucket('+Inf'), 4);
      assert.equal(sample(text, `${METRIC_NAMES.duration}_count`, 'feature="routing",operation="op"'), 4);
      assert.ok(
        Math.abs(sample(text, `${METRIC_NAMES.duration}_sum`, 'feature="routing",operation="op"')! - 9.00021) < 1e-9,
      );
      assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="op"'), 4);
      assert.equal(sample(text, METRIC_NAMES.errors, 'feature="routing",operation="op",code="TIMEOUT"'), 2);
    });

    it('is one instance per registry, registered once', () => {
      const registry = new Registry();
      assert.equal(OperationMetrics.for(registry), OperationMetrics.for(registry));
      assert.notEqual(OperationMetrics.for(registry), OperationMetrics.for(new Registry()));
      assert.equal(registry.getMetricsAsArray().length, METRIC_COUNT);
    });

    it('exports the tracking channels of every observed near-cache by state, until it stops observing one', async () => {
      const registry = new Registry();
      const metrics = OperationMetrics.for(registry);
      assert.equal(sample(await registry.metrics(), METRIC_NAMES.nearCacheTracking, 'state="active"'), undefined);
      const stopFirst = metrics.observeNearCache(() => ({ channels: 3, activeChannels: 2 }));
      metrics.observeNearCache(() => ({ channels: 1, activeChannels: 1 }));
      let text = await registry.metrics();
      assert.equal(sample(text, METRIC_NAMES.nearCacheTracking, 'state="active"'), 3);
      assert.equal(sample(text, METRIC_NAMES.nearCacheTracking, 'state="inactive"'), 1);
      assert.match(text, new RegExp(`^# TYPE ${METRIC_NAMES.nearCacheTracking} gauge$`, 'm'));
      stopFirst();
      registry.resetMetrics(); // a state, not a count: nothing to reset
      text = await registry.metrics();
      assert.equal(sample(text, METRIC_NAMES.nearCacheTracking, 'state="active"'), 1);
      assert.equal(sample(text, METRIC_NAMES.nearCacheTracking, 'state="inactive"'), 0);
    });

    it('works with registry.resetMetrics(), getMetricsAsJSON() and default labels', async () => {
      const registry = new Registry();
      registry.setDefaultLabels({ app: 'gateway' });
      const metrics = OperationMetrics.for(registry);
      metrics.succeeded('routing', 'op', 0.002);
      const json = await registry.getMetricsAsJSON();
      const calls = json.find((metric) => metric.name === METRIC_NAMES.operations)!;
      assert.deepEqual(calls.values, [{ labels: { feature: 'routing', operation: 'op', app: 'gateway' }, value: 1 }]);
      assert.equal(
        sample(await registry.metrics(), METRIC_NAMES.operations, 'feature="routing",operation="op",app="gateway"'),
        1,
      );
      registry.resetMetrics();
      metrics.succeeded('routing', 'other', 0.002);
      const text = await registry.metrics();
      assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="op",app="gateway"'), undefined);
      assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="other",app="gateway"'), 1);
    });

    it('renders in an OpenMetrics registry, also after a second module registers', async () => {
      // The typings omit the constructor's content type parameter.
      const OpenMetricsRegistry = Registry as unknown as new (contentType: string) => Registry;
      const registry = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
      const metrics = OperationMetrics.for(registry);
      metrics.failed('routing', 'op', ErrorCode.REDIS_CONNECTION_ERROR, 0.01);
      await registry.metrics(); // renames counters in place (drops `_total`)
      OperationMetrics.for(registry);
      const text = await registry.metrics();
      assert.equal(registry.getMetricsAsArray().length, METRIC_COUNT);
      assert.equal(sample(text, METRIC_NAMES.operations, 'feature="routing",operation="op"'), 1);
      assert.equal(
        sample(text, METRIC_NAMES.errors, 'feature="routing",operation="op",code="REDIS_CONNECTION_ERROR"'),
        1,
      );
      assert.match(text, /# EOF\n$/);
    });
  });

  describe('createOperationMetrics (prom-client optional)', () => {
    it('returns null when off, or when prom-client is absent and no registry is given', () => {
      assert.equal(createOperationMetrics(false), null);
      assert.equal(
        createOperationMetrics(true, () => undefined),
        null,
      );
      assert.equal(
        createOperationMetrics({}, () => undefined),
        null,
      );
      const registry = new Registry();
      assert.equal(
        createOperationMetrics({ registry }, () => undefined),
        OperationMetrics.for(registry),
      );
      assert.equal(createOperationMetrics(true), OperationMetrics.for(defaultRegister));
    });

    it("finds prom-client's default registry, and nothing (no throw) when prom-client is not installed", () => {
      assert.equal(defaultPromRegistry(), defaultRegister);
      const moduleProto = (Module as unknown as { prototype: { require: (id: string) => unknown } }).prototype;
      const original = moduleProto.require;
      let failure: Error = Object.assign(new Error("Cannot find module 'prom-client'"), { code: 'MODULE_NOT_FOUND' });
      moduleProto.require = function (this: unknown, id: string) {
        if (id === 'prom-client') throw failure;
        return original.call(this, id);
      };
      try {
        assert.equal(defaultPromRegistry(), undefined);
        // A broken prom-client install is not silenced.
        failure = Object.assign(new Error("Cannot find module 'tdigest'"), { code: 'MODULE_NOT_FOUND' });
        assert.throws(() => defaultPromRegistry(), /tdigest/);
      } finally {
        moduleProto.require = original;
      }
    });
  });
});
