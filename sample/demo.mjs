#!/usr/bin/env node
/*
 * npm run demo [-- --check]
 *
 * Installs the npm dependencies if they are missing, builds the library (dist/) and the sample
 * (sample/dist/), starts a private redis-server on a free port unless REDIS_URL is set, starts the
 * gateway and prints its URLs and a curl walk-through. Ctrl-C (or SIGTERM) stops the gateway, then
 * the private redis-server, and removes its temporary folder. A missing redis-server is installed
 * with apt-get when running as root (as `npm test` does); otherwise the demo says how to get one.
 *
 *   --check  run the walk-through itself, verify the answers, then stop (exit code 1 on a mismatch)
 *
 * Environment: REDIS_URL (use this Redis), PORT (default 3000, else a free port), HOST (default 127.0.0.1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const check = args.has('--check');

const children = new Set();
let gateway;
let redisServer;
let redisDir;
let stopping;

function say(message) {
  console.log(`\x1b[36m[demo]\x1b[0m ${message}`);
}

function fail(message) {
  console.error(`\x1b[31m[demo]\x1b[0m ${message}`);
  return stop(1);
}

function run(command, commandArgs) {
  say(`${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function portIsFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a child in its own process group (Ctrl-C reaches only this script, which stops the children in order). */
function start(command, commandArgs, options) {
  const child = spawn(command, commandArgs, { cwd: root, detached: true, ...options });
  children.add(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve(code ?? signal);
  }));
  return child;
}

async function terminate(child, graceMs) {
  if (!children.has(child)) return;
  const exited = child.exited;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

function stop(code) {
  stopping ??= (async () => {
    if (gateway) await terminate(gateway, 10_000);
    if (redisServer) {
      await terminate(redisServer, 5_000);
      say('private redis-server stopped');
    }
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(0));
// Last resort (an exception in this script): never leave a child behind.
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

function ensureRedisServer() {
  if (onPath('redis-server')) return;
  const howTo =
    'redis-server is not installed. Either install Redis 7 (Debian/Ubuntu: sudo apt-get install -y redis-server; ' +
    'macOS: brew install redis) and run `npm run demo` again, or point the demo at a Redis you have: ' +
    'REDIS_URL=redis://host:6379 npm run demo';
  if (process.getuid?.() !== 0 || !onPath('apt-get')) throw new Error(howTo);
  run('bash', [join(root, 'test/harness/ensure-redis-server.sh')]);
}

async function startRedis() {
  const port = await freePort();
  redisDir = mkdtempSync(join(tmpdir(), 'sf-demo-redis-'));
  const redis = start(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  redisServer = redis;
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const collect = (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    redis.stdout.on('data', collect);
    redis.stderr.on('data', collect);
    redis.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
  redis.stdout.resume();
  redis.stderr.resume();
  const url = `redis://127.0.0.1:${port}`;
  say(`private redis-server on ${url} (pid ${redis.pid}); it stops with the demo`);
  return url;
}

async function waitUntilHealthy(base, app) {
  const deadline = Date.now() + 60_000;
  let appExit;
  app.exited.then((code) => (appExit = code));
  while (Date.now() < deadline) {
    if (appExit !== undefined) throw new Error(`the gateway exited (${appExit}) before it was healthy`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${base}/health did not answer 200 within 60 s`);
}

function walkThrough(base) {
  const b = `${base}/namespaces/demo/services/game`;
  const json = `-H 'content-type: application/json'`;
  return `
  Gateway     ${base}
  OpenAPI UI  ${base}/docs   (document: ${base}/docs-json)
  Health      ${base}/health
  Metrics     ${base}/metrics

  Walk-through (copy into another terminal):

  B=${b}
  # 1. three pods of service "game" report in
  for pod in 0 1 2; do curl -s -X PUT $B/pods/$pod ${json} -d '{"state":"running","weight":0}'; done
  curl -s $B/pods; echo                       # {"0":"running","1":"running","2":"running"}

  # 2. route users: each gets the least-loaded running pod, and keeps it
  for uid in alice bob carol dave; do curl -s -X POST $B/route/$uid; echo; done
  curl -s -X POST $B/route/alice; echo         # same pod as before

  # 3. drain pod 0 (e.g. before a rolling update)
  curl -s -X PUT $B/pods/0 ${json} -d '{"state":"draining"}'

  # 4. new users avoid pod 0; users already there stay until they leave
  for uid in erin frank gina heidi; do curl -s -X POST $B/route/$uid; echo; done
  curl -s -X POST $B/links:batchGet ${json} -d '{"uids":["alice","bob","carol","dave","erin","frank","gina","heidi"]}'; echo

  # 5. alice disconnects: her link lingers 30 s, so a quick reconnect returns to the same pod
  curl -s -X DELETE "$B/links/alice?lingerSeconds=30"; echo
  curl -s "$B/links/alice?persistent=true"; echo   # 404: no persistent link any more
  curl -s $B/links/alice; echo                       # still linked (temporary)
  curl -s ${base}/namespaces/demo/uids/bob/links; echo

  # 6. bad input is a 400 naming the field; health and metrics
  curl -s -X PUT $B/pods/x ${json} -d '{"state":"running"}'; echo
  curl -s ${base}/health; echo
  curl -s ${base}/metrics | grep '^stateful_redis_operations_total'

  Ctrl-C stops the gateway${redisServer ? ' and the private redis-server' : ''}.
`;
}

/** --check: the walk-through above, with its answers verified. */
async function checkWalkThrough(base, namespace) {
  const b = `${base}/namespaces/${namespace}/services/game`;
  const call = async (method, url, body) => {
    const response = await fetch(url, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    say(`${method} ${url.slice(base.length)} -> ${response.status} ${text.length > 160 ? `${text.slice(0, 160)}...` : text}`);
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const expect = (condition, what) => {
    if (!condition) throw new Error(`walk-through check failed: ${what}`);
  };
  for (const pod of [0, 1, 2]) expect((await call('PUT', `${b}/pods/${pod}`, { state: 'running', weight: 0 })).status === 204, 'pods report in');
  expect(JSON.stringify((await call('GET', `${b}/pods`)).body) === '{"0":"running","1":"running","2":"running"}', 'three running pods');
  const placed = {};
  for (const uid of ['alice', 'bob', 'carol', 'dave']) placed[uid] = (await call('POST', `${b}/route/${uid}`)).body.podId;
  expect(new Set(Object.values(placed)).size === 3, 'the first users spread over the three pods');
  expect((await call('POST', `${b}/route/alice`)).body.podId === placed.alice, 'alice keeps her pod');
  expect((await call('PUT', `${b}/pods/0`, { state: 'draining' })).status === 204, 'drain pod 0');
  for (const uid of ['erin', 'frank', 'gina', 'heidi']) {
    placed[uid] = (await call('POST', `${b}/route/${uid}`)).body.podId;
    expect(placed[uid] === 1 || placed[uid] === 2, `${uid} avoids the draining pod 0`);
  }
  const batch = (await call('POST', `${b}/links:batchGet`, { uids: Object.keys(placed) })).body;
  expect(Object.values(batch).flat().length === 8, 'batchGet finds all eight users');
  expect((await call('DELETE', `${b}/links/alice?lingerSeconds=30`)).body.removed === true, 'alice disconnects');
  expect((await call('GET', `${b}/links/alice?persistent=true`)).status === 404, 'no persistent link for alice');
  expect((await call('GET', `${b}/links/alice`)).body.podId === placed.alice, 'alice still has a temporary link');
  expect((await call('GET', `${base}/namespaces/${namespace}/uids/bob/links`)).body.game === placed.bob, 'bob is linked to game');
  expect((await call('PUT', `${b}/pods/x`, { state: 'running' })).body.field === 'podId', 'bad podId is a 400 naming the field');
  expect((await call('GET', `${base}/health`)).body.status === 'ok', 'health is up');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(/^stateful_redis_operations_total\{operation="computeLinkedPodIfAbsent"\} 9$/m.test(metrics), 'metrics count the routed users');
  expect((await fetch(`${base}/docs`)).ok, 'the OpenAPI UI is served');
  say('walk-through checked: every answer as expected');
}

async function main() {
  if (!existsSync(join(root, 'node_modules/typescript'))) run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!process.env.REDIS_URL) ensureRedisServer();
  run('npm', ['run', '--silent', 'build']);
  run('npm', ['run', '--silent', 'build:sample']);

  const redisUrl = process.env.REDIS_URL || (await startRedis());
  const host = process.env.HOST || '127.0.0.1';
  const port = process.env.PORT ? Number(process.env.PORT) : (await portIsFree(3000, host)) ? 3000 : await freePort();
  gateway = start(process.execPath, ['--enable-source-maps', join(root, 'sample/dist/main.js')], {
    env: { ...process.env, REDIS_URL: redisUrl, PORT: String(port), HOST: host },
    stdio: 'inherit',
  });
  gateway.exited.then((code) => {
    if (!stopping) void fail(`the gateway stopped (${code})`);
  });
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  await waitUntilHealthy(base, gateway);
  if (check) {
    // A Redis of yours may hold an earlier run's users: check in a namespace of its own.
    await checkWalkThrough(base, redisServer ? 'demo' : `demo-check-${Date.now()}`);
    await stop(0);
  } else {
    console.log(walkThrough(base));
  }
}

main().catch((error) => fail(error.message));
