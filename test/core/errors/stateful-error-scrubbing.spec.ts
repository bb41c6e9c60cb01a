import { Redis, ReplyError } from 'ioredis';
import ClusterAllFailedError from 'ioredis/built/errors/ClusterAllFailedError';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, StatefulError } from '../../../lib';
import { scrubText } from '../../../lib/core/errors/credential-scrubber';
import { RedisServer } from '../../harness/redis-server';
import { bootStatefulModule } from '../../harness/stateful-app';
import { assertSecretNowhere } from '../security/secret-exposure';

/*
 * A StatefulError hands out a copy of its cause chain with every credential taken out, at any
 * depth; the objects ioredis and the app own are left as they were.
 */

const SECRET = 'unitSecretPw-9f31c0a';

type CommandError = Error & { command?: { name: string; args: unknown[] }; code?: string };

const wrap = (cause: unknown, message = 'connect failed') =>
  new StatefulError(ErrorCode.REDIS_CONNECTION_ERROR, message, { cause, operation: 'connect' });

/** An ioredis-shaped failure of `command`: what ioredis attaches to a reply or an abort. */
function commandError(message: string, name: string, args: unknown[], errorName = 'ReplyError'): CommandError {
  return Object.assign(new Error(message), { name: errorName, command: { name, args } });
}

describe('StatefulError: credentials scrubbed from the cause chain', () => {
  let server: RedisServer;
  /** A genuine ioredis error of a refused `HELLO 3 AUTH default <password>`. */
  let realHelloError: CommandError;

  before(async () => {
    server = await RedisServer.start({ args: ['--requirepass', 'theRightOne-1'], password: 'theRightOne-1' });
    const client = new Redis({ host: server.host, port: server.port, password: SECRET, lazyConnect: true });
    const refused = new Promise<CommandError>((resolve) => {
      client.on('error', (error: CommandError) => error.command && resolve(error));
    });
    client.connect().catch(() => undefined);
    realHelloError = await refused;
    client.disconnect();
  });

  after(async () => {
    await server?.dispose();
  });

  it('a real refused HELLO: password gone; message, class, command name and user kept; original untouched', () => {
    const originalArgs = realHelloError.command?.args;
    const error = wrap(realHelloError);
    assertSecretNowhere(error, SECRET);
    const cause = error.cause as CommandError;
    assert.ok(cause instanceof ReplyError, 'the cause is still a ReplyError');
    assert.equal(cause.name, realHelloError.name);
    assert.equal(cause.message, realHelloError.message);
    assert.match(String(cause.stack), /WRONGPASS/);
    assert.equal(cause.command?.name, 'hello');
    assert.deepEqual(cause.command?.args.slice(0, 3), ['3', 'AUTH', 'default']);
    assert.equal(cause.command?.args.length, 4);
    // ioredis's object is not rewritten: it may still be in use (a command's args array is shared).
    assert.equal(realHelloError.command?.args, originalArgs);
    assert.deepEqual(realHelloError.command?.args, ['3', 'AUTH', 'default', SECRET]);
  });

  it('AUTH and HELLO args of any value (strings, Buffers, any case), in previousErrors and nested causes', () => {
    const previousErrors = [
      commandError('WRONGPASS invalid', 'auth', [SECRET]),
      commandError('WRONGPASS invalid', 'AUTH', ['someone', Buffer.from(SECRET)]),
      commandError('NOPROTO', 'hello', [3, 'auth', 'someone', SECRET, 'SETNAME', 'app']),
    ];
    const abortedHello = ['3', 'AUTH', 'u', SECRET];
    const abortMessage = 'Command aborted due to connection close';
    const aborted = Object.assign(commandError(abortMessage, 'hello', abortedHello, 'AbortError'), { previousErrors });
    const outer = new Error('outer', { cause: new Error('middle', { cause: aborted }) });
    const error = wrap(outer);
    assertSecretNowhere(error, SECRET);
    type Aborted = CommandError & { previousErrors: CommandError[] };
    const copiedPrevious = ((error.cause as Error).cause as Error).cause as Aborted;
    assert.equal(copiedPrevious.name, 'AbortError');
    assert.equal(copiedPrevious.previousErrors[1].command?.args[0], 'someone');
    assert.deepEqual(copiedPrevious.previousErrors[2].command?.args.slice(0, 3), [3, 'auth', 'someone']);
    assert.deepEqual(copiedPrevious.previousErrors[2].command?.args.slice(4), ['SETNAME', 'app']);
    // Non-credential commands keep their args: they say what failed.
    const get = wrap(commandError('ERR x', 'get', ['sf:{ns:lk:u}svc']));
    assert.deepEqual((get.cause as CommandError).command?.args, ['sf:{ns:lk:u}svc']);
  });

  it('a ClusterAllFailedError whose lastNodeError holds the password', () => {
    const lastNodeError = commandError('WRONGPASS invalid', 'hello', ['3', 'AUTH', 'default', SECRET]);
    const clusterError = new ClusterAllFailedError('Failed to refresh slots cache.', lastNodeError as never);
    const error = wrap(clusterError);
    assertSecretNowhere(error, SECRET);
    const cause = error.cause as ClusterAllFailedError & { lastNodeError: CommandError };
    assert.ok(cause instanceof ClusterAllFailedError);
    assert.match(cause.lastNodeError.message, /WRONGPASS/);
    assert.equal(clusterError.lastNodeError, lastNodeError, 'the original is left as it was');
  });

  it('non-enumerable and symbol keys, cycles, Maps, Sets, AggregateErrors, password-named fields', () => {
    type Open = CommandError & Record<PropertyKey, unknown>;
    const cause = commandError('ERR', 'hello', ['3', 'AUTH', 'u', SECRET]) as Open;
    Object.defineProperty(cause, 'hidden', { value: { command: { name: 'auth', args: [SECRET] } }, enumerable: false });
    cause[Symbol('connection')] = { options: { host: 'h', password: SECRET, sentinelPassword: SECRET } };
    cause.self = cause;
    cause.seen = new Map([['auth', { name: 'auth', args: [SECRET] }]]);
    cause.commands = new Set([['AUTH', 'u', SECRET]]);
    const error = wrap(new AggregateError([cause, new Error('other')], 'all failed'));
    assertSecretNowhere(error, SECRET);
    const copy = (error.cause as AggregateError).errors[0] as typeof cause;
    assert.equal(copy.self, copy, 'a cycle stays a cycle');
    assert.equal(Object.getOwnPropertyDescriptor(copy, 'hidden')?.enumerable, false);
    const connection = copy[Object.getOwnPropertySymbols(copy)[0]] as { options: Record<string, unknown> };
    assert.equal(connection.options.host, 'h');
    assert.notEqual(connection.options.password, SECRET);
  });

  it('credentials in text: a URL with a password, and Redis echoing the args of AUTH or HELLO', () => {
    const error = wrap(
      new Error(`connect to redis://app:${SECRET}@10.1.2.3:6379 failed`, {
        cause: new Error(`ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'default' '${SECRET}'`),
      }),
      `Cannot connect to Redis at 10.1.2.3:6379: redis://:${SECRET}@10.1.2.3:6379 refused`,
    );
    assertSecretNowhere(error, SECRET);
    const endpoint = '10\\.1\\.2\\.3:6379';
    assert.match(
      error.message,
      new RegExp(`^Cannot connect to Redis at ${endpoint}: redis://:\\S+@${endpoint} refused$`),
    );
    assert.match((error.cause as Error).message, /redis:\/\/app:.*@10\.1\.2\.3:6379 failed/);
    assert.match(((error.cause as Error).cause as Error).message, /unknown command 'HELLO'/);
  });

  it('a long text that only looks like URLs costs linear time (handler errors are scrubbed as they are stored)', () => {
    // 128 KiB of "a.a.a…": every position starts a possible URL scheme. Quadratic, this took seconds.
    const text = `${'a.'.repeat(64 * 1024)} redis://app:${SECRET}@host`;
    const started = performance.now();
    const scrubbed = scrubText(text);
    const tookMs = performance.now() - started;
    assert.ok(!scrubbed.includes(SECRET));
    assert.ok(tookMs < 2_000, `scrubbed 128 KiB in ${Math.round(tookMs)} ms`);
  });

  it('a cause with nothing to hide is handed out as it is', () => {
    const cause = commandError("READONLY You can't write against a read only replica.", 'evalsha', ['abc', 1, 'key']);
    assert.equal(wrap(cause).cause, cause);
  });

  it('the password a running module was given is taken out of any text, not only of known places', async () => {
    const moduleRef = await bootStatefulModule({ redis: `redis://:theRightOne-1@${server.host}:${server.port}` });
    try {
      const error = wrap(new Error('ERR some reply quoting theRightOne-1 back'));
      assertSecretNowhere(error, 'theRightOne-1');
      assert.match((error.cause as Error).message, /^ERR some reply quoting .+ back$/);
      assert.ok(!inspect(error, { depth: 20 }).includes('theRightOne-1'));
    } finally {
      await moduleRef.close();
    }
  });
});
