// Shared by every consumer app of the install matrix: what a user does first with the package.
import type { INestApplicationContext } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
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

/**
 * The ioredis internal that the module's write coalescing (lib/core/connection/write-coalescing.ts) patches on its own
 * connections, checked against the app's ioredis: `sendCommand(command, stream?)` on the prototype, reached through
 * the instance for every command (the patch is an own property that wraps it), with no stream argument outside
 * pipelines, and `stream` a socket that can be corked. If ioredis changes any of it, the coalescing would stop
 * working or break commands: fail here, loudly, rather than in production.
 */
async function checkPatchedIoredisInternal(): Promise<string> {
  const fail = (what: string) => {
    throw new Error(
      `ioredis internal changed shape: ${what}. The write coalescing of nestjs-stateful-redis patches ioredis's ` +
        '`sendCommand(command, stream?)` (lib/core/connection/write-coalescing.ts); adapt it or switch to ' +
        '`enableAutoPipelining` before supporting this ioredis version.',
    );
  };
  const original = (Redis.prototype as { sendCommand?: unknown }).sendCommand;
  if (typeof original !== 'function') fail(`Redis.prototype.sendCommand is ${typeof original}, not a function`);
  const arity = (original as (...args: unknown[]) => unknown).length;
  if (arity !== 2) fail(`Redis.prototype.sendCommand takes ${arity} declared parameters, not 2 (command, stream)`);
  const probe = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  try {
    await probe.connect();
    const seen: unknown[][] = [];
    const send = probe.sendCommand;
    probe.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
      seen.push(args);
      return send.apply(this, args);
    } as Redis['sendCommand'];
    const replies = await Promise.all([
      probe.ping(),
      probe.get('smoke-check:absent'),
      probe.exists('smoke-check:absent'),
    ]);
    if (seen.length !== 3) fail(`3 commands went through the instance's sendCommand ${seen.length} times`);
    if (seen.some((args) => args[1] !== undefined)) fail('sendCommand got a stream argument outside a pipeline');
    if (replies[0] !== 'PONG' || replies[1] !== null || replies[2] !== 0)
      fail(`the commands sent through a wrapped sendCommand replied ${JSON.stringify(replies)}`);
    const socket = probe.stream as Partial<Redis['stream']> | undefined;
    if (
      typeof socket?.cork !== 'function' ||
      typeof socket.uncork !== 'function' ||
      typeof socket.writableLength !== 'number'
    )
      fail('Redis#stream is not a socket with cork(), uncork() and writableLength');
  } finally {
    probe.disconnect();
  }
  return `ioredis sendCommand(command, stream) has the shape the write coalescing patches`;
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
  notes.push(await checkPatchedIoredisInternal());
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
