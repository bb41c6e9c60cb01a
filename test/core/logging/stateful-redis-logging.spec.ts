import { Test, TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  ErrorCode,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { freePort } from '../../harness/free-port';
import { RedisServer } from '../../harness/redis-server';
import { eventually } from '../../harness/wait';
import { CapturingLogger } from '../../harness/capturing-logger';
import { compileStatefulModule } from '../../harness/stateful-app';

const PASSWORD = 'secretpw';
const servers: RedisServer[] = [];
const modules: TestingModule[] = [];

after(async () => {
  await Promise.all(servers.map((server) => server.dispose()));
});

afterEach(async () => {
  // Close every app of the test before the next one installs its own logger.
  await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
});

async function startServer(options: Parameters<typeof RedisServer.start>[0] = {}): Promise<RedisServer> {
  const server = await RedisServer.start(options);
  servers.push(server);
  return server;
}

async function startApp(options: StatefulRedisModuleOptions, logger: CapturingLogger): Promise<TestingModule> {
  const moduleRef = await compileStatefulModule(options, { logger });
  modules.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs a call that must fail and returns its error's message (to check it for secrets too). */
async function failingCall(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof StatefulError, String(error));
    return `${error.message}\n${error.stack}\n${String((error.cause as Error | undefined)?.message)}`;
  }
  assert.fail('expected the call to fail');
}

describe('connection state in the log', () => {
  it('logs the connect, each loss (WARN) and each recovery (LOG) once, naming the endpoint', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url, commandTimeoutMs: 500 }, logger);
    const service = moduleRef.get(StatefulExecutorService);
    await service.setLinkedPod('ns', 'u', 'svc', 1, -1);
    assert.deepEqual(logger.find('warn'), [], 'no warning while all is well');
    const endpoint = `127.0.0.1:${server.port}`;
    assert.equal(logger.find('log', `Connected to Redis at ${endpoint}`).length, 1, logger.allText());

    for (let cycle = 1; cycle <= 2; cycle++) {
      await server.stop();
      await waitFor(() => logger.find('warn', /lost/).length === cycle, `the loss warning of cycle ${cycle}`);
      // Failing calls and reconnect attempts while down add no more loss warnings.
      for (let i = 0; i < 3; i++) await failingCall(() => service.getLinkedPod('ns', 'u', 'svc'));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(logger.find('warn', /lost/).length, cycle, logger.allText());
      assert.equal(logger.find('log', /recovered/).length, cycle - 1, logger.allText());
      await server.start();
      await waitFor(() => logger.find('log', /recovered/).length === cycle, `the recovery line of cycle ${cycle}`);
      await eventually('calls to work again', () => service.setLinkedPod('ns', 'u', 'svc', 1, -1), 20_000);
    }

    const lost = logger.find('warn', /lost/);
    const recovered = logger.find('log', /recovered/);
    assert.equal(logger.find('warn', /recovered/).length, 0, 'a recovery is no warning');
    for (const line of [...lost, ...recovered]) {
      assert.ok(line.text.includes(endpoint), line.text);
      assert.equal(line.context, 'StatefulRedis');
    }
    // Lost comes before recovered in each cycle.
    const order = logger.lines
      .filter((line) => line.context === 'StatefulRedis')
      .map((line) => (/lost/.test(line.text) ? 'lost' : /recovered/.test(line.text) ? 'recovered' : 'other'));
    assert.deepEqual(
      order.filter((kind) => kind !== 'other'),
      ['lost', 'recovered', 'lost', 'recovered'],
    );
  });

  it('a stalled Redis (SIGSTOP): the loss is logged once the calls time out, the recovery once it answers', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url, commandTimeoutMs: 500 }, logger);
    const service = moduleRef.get(StatefulExecutorService);
    await service.setLinkedPod('ns', 'u', 'svc', 1, -1);
    server.pause();
    try {
      const message = await failingCall(() => service.getLinkedPod('ns', 'u', 'svc'));
      assert.match(message, /timed out/i);
      await waitFor(() => logger.find('warn', /not answering/).length === 1, 'the stall warning', 10_000);
      const [stalled] = logger.find('warn', /not answering/);
      assert.ok(stalled.text.includes(`127.0.0.1:${server.port}`), stalled.text);
      for (let i = 0; i < 3; i++) await failingCall(() => service.getLinkedPod('ns', 'u', 'svc'));
      assert.equal(logger.find('warn', /not answering/).length, 1, logger.allText());
    } finally {
      server.resume();
    }
    await waitFor(() => logger.find('log', /recovered/).length === 1, 'the recovery line', 10_000);
    assert.equal(await service.getLinkedPod('ns', 'u', 'svc'), 1);
  });

  it('calls while the connection is known down fail fast with REDIS_CONNECTION_ERROR, not after commandTimeoutMs', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const commandTimeoutMs = 4_000;
    const moduleRef = await startApp({ redis: server.url, commandTimeoutMs }, logger);
    const service = moduleRef.get(StatefulExecutorService);
    await service.setLinkedPod('ns', 'u', 'svc', 1, -1);
    await server.kill();
    await waitFor(() => logger.find('warn', /lost/).length === 1, 'the loss warning');
    // Past the first reconnect attempts: the connection is known down.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const call of [
      () => service.getLinkedPod('ns', 'u', 'svc'),
      () => service.setLinkedPod('ns', 'u', 'svc', 2, -1),
      () => service.batchGetLinkedPod('ns', ['u', 'v'], 'svc'),
    ]) {
      const started = Date.now();
      try {
        await call();
        assert.fail('the call succeeded');
      } catch (error) {
        const elapsedMs = Date.now() - started;
        assert.ok(error instanceof StatefulError, String(error));
        assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR, error.message);
        assert.ok(elapsedMs < 200, `took ${elapsedMs} ms`);
      }
    }
    await server.start();
    await eventually('calls to work again', () => service.getLinkedPod('ns', 'u', 'svc'), 20_000);
  });

  it('does not warn about a loss when the app closes its own connection', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url }, logger);
    await moduleRef.get(StatefulExecutorService).getLinkedPod('ns', 'u', 'svc');
    await moduleRef.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(logger.find('warn'), [], logger.allText());
    assert.deepEqual(logger.find('error'), [], logger.allText());
  });
});

describe('operation logging', () => {
  const operations = [
    'setLinkedPod',
    'getLinkedPod',
    'setServiceState',
    'getServiceState',
    'computeLinkedPodIfAbsent',
    'batchGetLinkedPod',
  ];

  async function runOperations(service: StatefulExecutorService): Promise<void> {
    await service.setLinkedPod('ns', 'u', 'svc', 3, -1);
    await service.getLinkedPod('ns', 'u', 'svc');
    await service.setServiceState('ns', 'svc', 0, 'running');
    await service.getServiceState('ns', 'svc');
    await service.computeLinkedPodIfAbsent('ns', 'new', 'svc', 60);
    await service.batchGetLinkedPod('ns', ['u', 'new', 'none'], 'svc');
  }

  it('logs no line per operation by default', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url }, logger);
    const before = logger.lines.length;
    await runOperations(moduleRef.get(StatefulExecutorService));
    const during = logger.lines.slice(before);
    assert.deepEqual(during, [], `unexpected lines: ${during.map((line) => line.text).join('\n')}`);
    assert.equal(
      logger.find('debug').filter((line) => operations.some((operation) => line.text.includes(operation))).length,
      0,
    );
  });

  it('with logOperations: true logs one debug line per operation, naming it, its inputs and its result', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url, logOperations: true }, logger);
    const before = logger.lines.length;
    await runOperations(moduleRef.get(StatefulExecutorService));
    const debug = logger.lines.slice(before).filter((line) => line.level === 'debug');
    assert.equal(debug.length, operations.length, debug.map((line) => line.text).join('\n'));
    operations.forEach((operation, index) => {
      assert.ok(String(debug[index].message).startsWith(`${operation}(`), `line ${index}: ${debug[index].text}`);
      assert.equal(debug[index].context, 'StatefulRedis');
      assert.match(String(debug[index].message), /ms$/);
    });
    assert.match(String(debug[0].message), /namespace="ns", uid="u", serviceName="svc", podId=3, persistSeconds=-1/);
    assert.match(String(debug[1].message), /-> "3"|-> 3/);
    // A list of uids is summarised, not dumped.
    assert.match(String(debug[5].message), /uids=\[3 items\]/);
  });

  it('with logOperations: true a rejected call logs no success line, and an invalid argument none at all', async () => {
    const server = await startServer();
    const logger = new CapturingLogger();
    const moduleRef = await startApp({ redis: server.url, logOperations: true }, logger);
    const service = moduleRef.get(StatefulExecutorService);
    const before = logger.lines.length;
    await assert.rejects(
      service.getLinkedPod('bad:ns', 'u', 'svc'),
      (error: unknown) => error instanceof StatefulError && error.code === ErrorCode.INVALID_PARAMETER,
    );
    assert.equal(logger.lines.length, before, logger.allText());
  });
});

describe('the password never reaches the logs', () => {
  it('not while working, losing the connection, failing calls, recovering or shutting down', async () => {
    const server = await startServer({ args: ['--requirepass', PASSWORD], password: PASSWORD });
    const logger = new CapturingLogger();
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const moduleRef = await startApp({ redis: url, logOperations: true, commandTimeoutMs: 500 }, logger);
    const service = moduleRef.get(StatefulExecutorService);
    const indicator = moduleRef.get(StatefulRedisHealthIndicator);
    const errorTexts: string[] = [];

    await service.setLinkedPod('ns', 'u', 'svc', 1, -1);
    await service.getLinkService('ns', 'u');
    await server.stop();
    await waitFor(() => logger.find('warn', /lost/).length === 1, 'the loss warning');
    errorTexts.push(await failingCall(() => service.getLinkedPod('ns', 'u', 'svc')));
    errorTexts.push(await failingCall(() => service.setLinkedPod('ns', 'u', 'svc', 2, -1)));
    errorTexts.push(await failingCall(() => service.batchGetLinkedPod('ns', ['u'], 'svc')));
    errorTexts.push(JSON.stringify(await indicator.isHealthy('redis')));
    await server.start();
    await waitFor(() => logger.find('log', /recovered/).length === 1, 'the recovery line');
    await eventually('calls to work again', () => service.getLinkedPod('ns', 'u', 'svc'), 20_000);
    await moduleRef.close();

    assert.ok(logger.lines.length > 0);
    assert.ok(logger.find('debug').length > 0, 'logOperations lines were captured');
    const all = logger.allText();
    assert.ok(!all.includes(PASSWORD), `password in the logs:\n${all}`);
    for (const text of errorTexts) assert.ok(!text.includes(PASSWORD), `password in an error: ${text}`);
  });

  it('not when a lazily started app cannot reach Redis', async () => {
    const port = await freePort();
    const logger = new CapturingLogger();
    const moduleRef = await startApp(
      {
        redis: `redis://appuser:${PASSWORD}@127.0.0.1:${port}`,
        lazyConnect: true,
        connectTimeoutMs: 500,
        commandTimeoutMs: 300,
        logOperations: true,
      },
      logger,
    );
    const service = moduleRef.get(StatefulExecutorService);
    const message = await failingCall(() => service.getLinkedPod('ns', 'u', 'svc'));
    // The lazy start reports in the background that it has not connected yet, naming the endpoint.
    await waitFor(() => logger.find('warn', /Cannot connect/).length > 0, 'the background connection warning', 10_000);
    assert.ok(logger.find('warn', /Cannot connect/)[0].text.includes(`127.0.0.1:${port}`));
    await moduleRef.close();
    const all = logger.allText();
    assert.ok(!all.includes(PASSWORD), `password in the logs:\n${all}`);
    assert.ok(!message.includes(PASSWORD), message);
  });

  it('not when the password is wrong', async () => {
    const server = await startServer({ args: ['--requirepass', PASSWORD], password: PASSWORD });
    const logger = new CapturingLogger();
    const wrong = 'wrongsecretpw';
    const moduleRef = await Test.createTestingModule({
      imports: [
        StatefulRedisModule.forRoot({
          redis: `redis://:${wrong}@127.0.0.1:${server.port}`,
          connectTimeoutMs: 1_500,
          commandTimeoutMs: 500,
        }),
      ],
    })
      .setLogger(logger)
      .compile();
    modules.push(moduleRef);
    let texts = '';
    try {
      await moduleRef.init();
      texts += await failingCall(() => moduleRef.get(StatefulExecutorService).getLinkedPod('ns', 'u', 'svc'));
    } catch (error) {
      assert.ok(error instanceof StatefulError, String(error));
      texts += `${error.message}\n${error.stack}\n${String((error.cause as Error | undefined)?.message)}`;
    }
    assert.match(texts, /WRONGPASS|NOAUTH|auth/i);
    assert.ok(!texts.includes(wrong), texts);
    assert.ok(!logger.allText().includes(wrong), logger.allText());
  });
});
