// Shared by every consumer app of the install matrix: what a user does first with the package.
import type { INestApplicationContext } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import {
  ErrorCode,
  NO_POD,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  type TrySetLinkedPodResult,
} from 'nestjs-stateful-redis';

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`smoke check failed: ${what}`);
}

/** Link a user, read it back, refuse a takeover, unlink, reject bad input, health up; metrics if prom-client is there. */
export async function smokeCheck(app: INestApplicationContext): Promise<string[]> {
  const service = app.get(StatefulExecutorService);
  const ns = `smoke-${process.pid}`;
  await service.setServiceState(ns, 'game', 0, 'running');
  await service.setServiceState(ns, 'game', 1, 'running');
  const pod = await service.computeLinkedPodIfAbsent(ns, 'alice', 'game', -1);
  expect(pod === 0 || pod === 1, `computeLinkedPodIfAbsent placed alice on a running pod (got ${pod})`);
  expect((await service.getLinkedPod(ns, 'alice', 'game')) === pod, 'getLinkedPod reads the link back');
  expect((await service.getLinkService(ns, 'alice')).game === pod, 'getLinkService reads the link back');
  const takeover: TrySetLinkedPodResult = await service.trySetLinkedPod(ns, 'alice', 'game', 1 - pod, -1);
  expect(!takeover.success && takeover.podId === pod, 'trySetLinkedPod refuses to take over a persistent link');
  expect(await service.removeLinkedPod(ns, 'alice', 'game', 0), 'removeLinkedPod removes the link');
  expect((await service.getLinkedPod(ns, 'alice', 'game')) === NO_POD, 'the link is gone');
  await service.removePod(ns, 'game', 0);
  await service.removePod(ns, 'game', 1);

  const invalid = await service.getLinkedPod('bad:namespace', 'alice', 'game').catch((error: unknown) => error);
  expect(
    invalid instanceof StatefulError && invalid.code === ErrorCode.INVALID_PARAMETER,
    'bad input is a StatefulError INVALID_PARAMETER',
  );

  const health = await app
    .get(HealthCheckService)
    .check([() => app.get(StatefulRedisHealthIndicator).isHealthy('redis')]);
  expect(health.status === 'ok' && health.info?.redis?.status === 'up', `health is up (got ${JSON.stringify(health)})`);

  const notes = [`linked alice to pod ${pod} and read it back`, `health ${health.status}`];
  const optional = 'prom-client'; // not a dependency of every app
  const promClient: { register: { metrics(): Promise<string> } } | undefined = await import(optional).catch(
    () => undefined,
  );
  if (promClient) {
    const text = await promClient.register.metrics();
    expect(
      /^stateful_redis_operations_total\{feature="routing",operation="computeLinkedPodIfAbsent"\} 1$/m.test(text),
      'metrics count the calls',
    );
    notes.push('metrics exported to prom-client');
  } else {
    notes.push('prom-client absent: metrics off');
  }
  return notes;
}
