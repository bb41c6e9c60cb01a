#!/usr/bin/env node
/*
 * npm run demo [-- --check]
 *
 * Installs the npm dependencies if they are missing, builds the library (dist/) and the sample
 * (sample/dist/), starts a private redis-server on a free port unless REDIS_URL is set, and starts two
 * replicas of the gateway on it (gateway-a, gateway-b). Their scheduled `pod-sweep` task fires every
 * 2 s; the demo watches the fires for a few seconds and prints the run history as a table (fire time ->
 * the replica that ran it, how many runs): one run per fire, whichever replica took it. Then it prints
 * the URLs and a curl walk-through (routing, then the scheduler's REST API). Ctrl-C (or SIGTERM) stops
 * the gateways, then the private redis-server, and removes its temporary folder. A missing
 * redis-server is installed with apt-get when running as root (as `npm test` does); otherwise the demo
 * says how to get one.
 *
 *   --check  run the walk-through itself and verify the answers; open the dashboard (/ops) in headless
 *            Chromium and verify that its pages drew their data; then let the task fire every second,
 *            stop gateway-a halfway (SIGTERM) and verify from the run history and from the handlers' own
 *            log lines that every fire ran exactly once (exit code 1 if one ran twice or was missed)
 *
 * Environment: REDIS_URL (use this Redis), PORT (gateway-a; default 3000, else a free port; gateway-b
 * takes a free port), HOST (default 127.0.0.1), POD_SWEEP_CRON (the task's schedule).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { checkDashboard } from './dashboard-check.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const check = args.has('--check');

const children = new Set();
/** The gateway replicas: { name, child, base, stopped }. */
const gateways = [];
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
  if (result.status !== 0)
    throw new Error(`${command} ${commandArgs.join(' ')} failed (exit ${result.status ?? result.signal})`);
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
  child.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    }),
  );
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
    await Promise.all(gateways.map((gateway) => terminate(gateway.child, 15_000)));
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
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      redisDir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ],
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

function walkThrough(base, other) {
  const b = `${base}/namespaces/demo/services/game`;
  const s = `${base}/scheduler`;
  const json = `-H 'content-type: application/json'`;
  return `
  Gateway     ${base}   (gateway-a; gateway-b: ${other}, same Redis, same tasks)
  OpenAPI UI  ${base}/docs   (document: ${base}/docs-json)
  Health      ${base}/health
  Metrics     ${base}/metrics
  Dashboard   ${base}/ops   (routing, user lookup, scheduler; actions on, from this machine only)

  Walk-through (copy into another terminal):

  B=${b}
  # 1. three pods of service "game" report in, and keep reporting: in this demo a pod silent 3 s gets no
  #    new users, and one silent 8 s is swept (podLiveness)
  for pod in 0 1 2; do curl -s -X PUT $B/pods/$pod ${json} -d '{"state":"running","weight":0}'; done
  (while sleep 1; do for pod in 0 1 2; do curl -s -X PUT $B/pods/$pod/heartbeat; done; done) & HB=$!
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

  Scheduler (either replica answers the same: the tasks live in Redis):

  S=${s}
  # 7. the decorated pod-sweep task and its run history: one entry per fire, from gateway-a or gateway-b
  curl -s $S/tasks; echo
  curl -s "$S/tasks/pod-sweep/runs?limit=5"; echo
  curl -s -X PUT $B/pods/3 ${json} -d '{"state":"terminated"}'   # the next sweep forgets pod 3

  # 8. a task added at run time: drain pod 2 at 03:00 Berlin time, once
  curl -s -X POST $S/tasks ${json} -d '{"id":"drain-game-2","name":"drain game pod 2","cron":"0 3 * * *","timeZone":"Europe/Berlin","workflow":"drain-pod","payload":{"namespace":"demo","service":"game","podId":2,"once":true}}'; echo
  curl -s -X POST ${other}/scheduler/tasks/drain-game-2/trigger   # or now, on the other replica
  curl -s $S/tasks/drain-game-2/runs; echo; curl -s $B/pods; echo  # pod 2 is draining, the task disabled
  curl -s -X PATCH $S/tasks/drain-game-2 ${json} -d '{"cron":"30 2 * * 6"}'; echo
  curl -s -X DELETE $S/tasks/drain-game-2 -o /dev/null -w '%{http_code}\\n'   # 204 (404 the second time)
  curl -s $S/stats; echo

  Pod lifecycle:

  # 9. pod 1 dies: it stops reporting. 3 s later it gets no new users; 8 s later the built-in dead-pod sweep
  #    (one run per fire across both replicas) removes its links and forgets it
  kill $HB; (while sleep 1; do for pod in 0 2; do curl -s -X PUT $B/pods/$pod/heartbeat; done; done) & HB=$!
  curl -s $B/pod-reports; echo                 # pod 1: "live":true, a few seconds later false
  sleep 10; curl -s $B/pod-reports; echo       # pod 1 is gone
  curl -s "$S/tasks/stateful-redis.dead-pod-sweep/runs?limit=3"; echo

  # 10. its users come back and are placed on a live pod (pod 0 drains, so pod 2)
  for uid in alice bob carol dave; do curl -s -X POST $B/route/$uid; echo; done

  # 11. pod 2 restarts with empty memory: it reports starting, sweeps its own links, then reports running
  curl -s -X POST $B/pods/2/started; echo      # {"removedLinks":N}
  kill $HB

  Ctrl-C stops the gateways${redisServer ? ' and the private redis-server' : ''}.
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
    say(
      `${method} ${url.slice(base.length)} -> ${response.status} ${text.length > 160 ? `${text.slice(0, 160)}...` : text}`,
    );
    return {
      status: response.status,
      body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const expect = (condition, what) => {
    if (!condition) throw new Error(`walk-through check failed: ${what}`);
  };
  for (const pod of [0, 1, 2])
    expect((await call('PUT', `${b}/pods/${pod}`, { state: 'running', weight: 0 })).status === 200, 'pods report in');
  // The pods keep reporting, as the walk-through's background loop does (quietly).
  let reporting = [0, 1, 2];
  const heartbeats = setInterval(() => {
    for (const pod of reporting) fetch(`${b}/pods/${pod}/heartbeat`, { method: 'PUT' }).catch(() => undefined);
  }, 500);
  try {
    await checkSteps();
    say('walk-through checked: every answer as expected');
    // While the pods still report, so that the dashboard's pods table has rows; with a user just placed.
    expect((await call('POST', `${b}/route/operator-check`)).status === 200, 'a user for the dashboard to look up');
    await checkDashboard(base, { namespace, uid: 'operator-check', say });
    say('dashboard checked: every page drew its data in Chromium');
  } finally {
    clearInterval(heartbeats);
  }

  async function checkSteps() {
    expect(
      JSON.stringify((await call('GET', `${b}/pods`)).body) === '{"0":"running","1":"running","2":"running"}',
      'three running pods',
    );
    const placed = {};
    for (const uid of ['alice', 'bob', 'carol', 'dave'])
      placed[uid] = (await call('POST', `${b}/route/${uid}`)).body.podId;
    expect(new Set(Object.values(placed)).size === 3, 'the first users spread over the three pods');
    expect((await call('POST', `${b}/route/alice`)).body.podId === placed.alice, 'alice keeps her pod');
    expect((await call('PUT', `${b}/pods/0`, { state: 'draining' })).status === 200, 'drain pod 0');
    for (const uid of ['erin', 'frank', 'gina', 'heidi']) {
      placed[uid] = (await call('POST', `${b}/route/${uid}`)).body.podId;
      expect(placed[uid] === 1 || placed[uid] === 2, `${uid} avoids the draining pod 0`);
    }
    const batch = (await call('POST', `${b}/links:batchGet`, { uids: Object.keys(placed) })).body;
    expect(Object.values(batch).flat().length === 8, 'batchGet finds all eight users');
    expect((await call('DELETE', `${b}/links/alice?lingerSeconds=30`)).body.removed === true, 'alice disconnects');
    expect((await call('GET', `${b}/links/alice?persistent=true`)).status === 404, 'no persistent link for alice');
    expect((await call('GET', `${b}/links/alice`)).body.podId === placed.alice, 'alice still has a temporary link');
    expect(
      (await call('GET', `${base}/namespaces/${namespace}/uids/bob/links`)).body.game === placed.bob,
      'bob is linked to game',
    );
    expect(
      (await call('PUT', `${b}/pods/x`, { state: 'running' })).body.field === 'podId',
      'bad podId is a 400 naming the field',
    );
    expect((await call('GET', `${base}/health`)).body.status === 'ok', 'health is up');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(
      /^stateful_redis_operations_total\{feature="routing",operation="computeLinkedPodIfAbsent"\} 9$/m.test(metrics),
      'metrics count the routed users',
    );
    expect((await fetch(`${base}/docs`)).ok, 'the OpenAPI UI is served');

    // 9. Pod 1 dies: it stops reporting; the built-in sweep removes its links and forgets it.
    const onPodOne = Object.keys(placed).filter((uid) => placed[uid] === 1 && uid !== 'alice');
    expect(onPodOne.length > 0, 'some users are on pod 1');
    reporting = [0, 2];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pods = (await api({ base }, 'GET', `/namespaces/${namespace}/services/game/pod-reports`)).body;
      if (!pods.some((pod) => pod.podId === 1)) break;
      if (Date.now() > deadline) {
        // What the sweep did meanwhile, to tell a slow machine from a sweep that fails.
        const runs = (await call('GET', `${base}/scheduler/tasks/stateful-redis.dead-pod-sweep/runs?limit=10`)).body;
        const outcomes = runs.map((run) => `${run.status}${run.error ? ` (${run.error})` : ''}`).join(', ');
        throw new Error(
          `walk-through check failed: pod 1 not swept in 30 s: ${JSON.stringify(pods)}; sweeps: ${outcomes}`,
        );
      }
      await sleep(500);
    }
    const reports = await call('GET', `${b}/pod-reports`);
    expect(
      JSON.stringify(reports.body.map((pod) => [pod.podId, pod.live])) === '[[0,true],[2,true]]',
      'pod 1 swept, pods 0 and 2 live',
    );
    const sweeps = (await call('GET', `${base}/scheduler/tasks/stateful-redis.dead-pod-sweep/runs?limit=50`)).body;
    expect(
      sweeps.some((run) => run.status === 'success'),
      'the built-in dead-pod sweep ran',
    );
    // 10. Its users had no link left; they come back and are placed on the live pod that takes new users.
    for (const uid of onPodOne) {
      expect((await call('GET', `${b}/links/${uid}`)).status === 404, `${uid}'s link to pod 1 was swept`);
      expect((await call('POST', `${b}/route/${uid}`)).body.podId === 2, `${uid} re-placed on pod 2`);
    }
    // 11. Pod 2 restarts with empty memory: it sweeps its own links before it reports running.
    const restarted = await call('POST', `${b}/pods/2/started`);
    expect(restarted.body.removedLinks >= onPodOne.length, 'pod 2 swept its own links at restart');
    expect((await call('GET', `${b}/links/${onPodOne[0]}`)).status === 404, 'no user is left on the restarted pod');
  }
}

/** The handlers' own log line (sample/src/scheduler/pod-sweep.task.ts), one per run. */
const SWEEP_LINE = /pod-sweep fire (\S+) ran on (\S+) \(fence (\d+), attempt (\d+)\)/;
/** Every run the handlers logged: { fire, instanceId, fence, attempt }. */
const handlerRuns = [];
let showSweepLines = true;

/** Starts one replica; its output goes to this terminal prefixed with its name (sweep lines counted, and shown while watched). */
async function startGateway(name, port, env) {
  const child = start(process.execPath, ['--enable-source-maps', join(root, 'sample/dist/main.js')], {
    env: { ...process.env, ...env, PORT: String(port), INSTANCE_ID: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gateway = {
    name,
    child,
    base: `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`,
    stopped: false,
  };
  gateways.push(gateway);
  const colour = gateways.length === 1 ? 33 : 35;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      const plain = stripVTControlCharacters(line);
      const sweep = SWEEP_LINE.exec(plain);
      if (sweep)
        handlerRuns.push({ fire: sweep[1], instanceId: sweep[2], fence: Number(sweep[3]), attempt: Number(sweep[4]) });
      if (!sweep || showSweepLines) console.log(`\x1b[${colour}m[${name}]\x1b[0m ${plain}`);
    });
  }
  child.exited.then((code) => {
    if (!stopping && !gateway.stopped) void fail(`${name} stopped (${code})`);
  });
  await waitUntilHealthy(gateway.base, child);
  say(`${name} is up on ${gateway.base}`);
  return gateway;
}

async function api(gateway, method, path, body) {
  const response = await fetch(`${gateway.base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the run history of `taskId` has `count` fires from `sinceMs` on (fires, not attempts). */
async function waitForFires(gateway, taskId, sinceMs, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(gateway, 'GET', `/scheduler/tasks/${taskId}/runs?limit=1000`);
    const fires = new Set(body.filter((run) => Date.parse(run.scheduledAt) >= sinceMs).map((run) => run.scheduledAt));
    if (fires.size >= count) return;
    if (Date.now() > deadline) throw new Error(`${taskId} ran ${fires.size} of ${count} fires within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/**
 * The run history of pod-sweep as a table (fire time -> replica -> runs of that fire) and what it proves: every
 * fire of the window once, in the history and in the handlers' own log lines, fencing tokens increasing.
 * Returns the problems found (none: one run per fire).
 */
function fireTable(runs, periodMs, stoppedAfter) {
  const byFire = new Map();
  for (const run of [...runs].reverse()) {
    const entry = byFire.get(run.scheduledAt) ?? { statuses: [], instances: [] };
    entry.statuses.push(run.status);
    if (run.instanceId) entry.instances.push(run.instanceId);
    byFire.set(run.scheduledAt, entry);
  }
  const fires = [...byFire.keys()].sort();
  const problems = [];
  const rows = [];
  let previous;
  for (const fire of fires) {
    const { statuses, instances } = byFire.get(fire);
    const logged = handlerRuns.filter((run) => run.fire === fire);
    const ms = Date.parse(fire);
    if (previous !== undefined && ms - previous !== periodMs) {
      problems.push(`${(ms - previous) / periodMs - 1} fire(s) missing before ${fire}: no entry at all`);
    }
    previous = ms;
    const successes = statuses.filter((status) => status === 'success').length;
    if (statuses.length !== 1 || successes !== 1)
      problems.push(`fire ${fire}: history ${statuses.join(', ')} (expected one success)`);
    if (logged.length !== 1)
      problems.push(
        `fire ${fire}: the handler ran ${logged.length} times (${logged.map((run) => run.instanceId).join(', ')})`,
      );
    rows.push([
      fire.slice(11, 23),
      instances.join(', ') || '-',
      String(statuses.length),
      statuses.join(','),
      String(logged.length),
      logged.map((run) => run.fence).join(','),
    ]);
  }
  const fences = handlerRuns.filter((run) => byFire.has(run.fire)).map((run) => run.fence);
  if (fences.some((fence, i) => i > 0 && fence <= fences[i - 1]))
    problems.push(`fencing tokens not increasing: ${fences.join(',')}`);
  const header = ['fire (UTC)', 'ran on', 'runs', 'status', 'handler calls', 'fence'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => `  ${cells.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd();
  console.log(['', line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n'));
  const perInstance = {};
  for (const fire of fires)
    for (const instance of byFire.get(fire).instances) perInstance[instance] = (perInstance[instance] ?? 0) + 1;
  const twice = fires.filter(
    (fire) => byFire.get(fire).statuses.length > 1 || handlerRuns.filter((run) => run.fire === fire).length > 1,
  ).length;
  console.log(
    `  ${fires.length} fires, ${fires.reduce((sum, fire) => sum + byFire.get(fire).statuses.length, 0)} runs, ${twice} ran twice, ` +
      `${problems.filter((problem) => problem.includes('missing')).length} gaps; ` +
      `${Object.entries(perInstance)
        .map(([instance, count]) => `${instance} ran ${count}`)
        .join(', ')}` +
      `${stoppedAfter ? ` (gateway-a stopped after ${stoppedAfter.slice(11, 23)})` : ''}\n`,
  );
  return problems;
}

/** --check, scheduler part: the REST API on both replicas, then one run per fire while gateway-a stops halfway. */
async function checkScheduler([a, b], namespace) {
  const expect = (condition, what) => {
    if (!condition) throw new Error(`scheduler check failed: ${what}`);
  };
  const call = async (gateway, method, path, body) => {
    const answer = await api(gateway, method, path, body);
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    say(
      `${gateway.name}: ${method} ${path} -> ${answer.status} ${text.length > 160 ? `${text.slice(0, 160)}...` : text}`,
    );
    return answer;
  };
  // The sample's decorated task, and the built-in dead-pod sweep of podLiveness.sweepAfterMs.
  const tasks = (await call(b, 'GET', '/scheduler/tasks')).body;
  expect(
    JSON.stringify(tasks.map((task) => [task.id, task.source]).sort()) ===
      '[["pod-sweep","decorator"],["stateful-redis.dead-pod-sweep","decorator"]]',
    'both replicas declared pod-sweep and the built-in sweep: one definition each',
  );
  expect(
    (await call(a, 'GET', '/scheduler/stats')).body.registeredWorkflows.includes('drain-pod'),
    'gateway-a registered drain-pod',
  );

  // A task added at run time on one replica, triggered on the other.
  const drain = {
    id: 'drain-game-2',
    name: 'drain game pod 2',
    cron: '0 3 * * *',
    timeZone: 'Europe/Berlin',
    workflow: 'drain-pod',
    payload: { namespace, service: 'game', podId: 2, once: true },
  };
  expect(
    (await call(a, 'POST', '/scheduler/tasks', { ...drain, payload: { ...drain.payload, podId: 'two' } })).body
      .field === 'payload.podId',
    'a bad payload is a 400 naming payload.podId',
  );
  expect(
    (await call(a, 'POST', '/scheduler/tasks', { ...drain, cron: '61 * * * *' })).body.field === 'cron',
    'a bad cron is a 400 naming cron',
  );
  const added = await call(a, 'POST', '/scheduler/tasks', drain);
  expect(
    added.status === 201 && added.body.source === 'api' && added.body.nextRunAt !== null,
    'drain-game-2 added with a next fire',
  );
  expect((await call(b, 'POST', '/scheduler/tasks', drain)).status === 409, 'the same id again is a 409');
  expect((await call(b, 'POST', '/scheduler/tasks/drain-game-2/trigger')).status === 202, 'trigger on gateway-b');
  const deadline = Date.now() + 10_000;
  let runs = [];
  while (Date.now() < deadline && !runs.some((run) => run.status === 'success')) {
    await sleep(200);
    runs = (await api(b, 'GET', '/scheduler/tasks/drain-game-2/runs')).body;
  }
  expect(runs.length === 1 && runs[0].status === 'success', `the triggered drain ran once (${JSON.stringify(runs)})`);
  say(`drain-game-2 ran on ${runs[0].instanceId}`);
  expect(
    (await call(a, 'GET', `/namespaces/${namespace}/services/game/pods`)).body[2] === 'draining',
    'pod 2 is draining',
  );
  expect(
    (await call(a, 'GET', '/scheduler/tasks/drain-game-2')).body.enabled === false,
    'once: the task disabled itself',
  );
  expect((await call(a, 'DELETE', '/scheduler/tasks/drain-game-2')).status === 204, 'remove');
  expect((await call(b, 'GET', '/scheduler/tasks/drain-game-2')).status === 404, 'gone on gateway-b too');
  const health = (await call(a, 'GET', '/health')).body;
  expect(health.status === 'ok' && health.info.scheduler.status === 'up', 'scheduler health up');

  // One run per fire: the sweep fires every second; gateway-a stops (SIGTERM) halfway, gateway-b carries on.
  expect(
    (await call(a, 'PUT', `/namespaces/${namespace}/services/game/pods/3`, { state: 'terminated' })).status === 200,
    'pod 3 terminated',
  );
  const since = Date.now();
  showSweepLines = true;
  await waitForFires(b, 'pod-sweep', since, 4, 15_000);
  say('stopping gateway-a (SIGTERM): gateway-b takes every fire from now on');
  a.stopped = true;
  const stoppedAt = new Date().toISOString();
  await terminate(a.child, 15_000);
  await waitForFires(b, 'pod-sweep', since, 8, 15_000);
  // Disable, so that no fire is half-way through when the history and the log lines are compared.
  expect((await call(b, 'POST', '/scheduler/tasks/pod-sweep/disable')).body.enabled === false, 'pod-sweep disabled');
  await sleep(500);
  const history = (await api(b, 'GET', '/scheduler/tasks/pod-sweep/runs?limit=1000')).body;
  const problems = fireTable(history, 1000, stoppedAt);
  expect(problems.length === 0, problems.join('; '));
  expect(
    !('3' in (await call(b, 'GET', `/namespaces/${namespace}/services/game/pods`)).body),
    'the sweep forgot the terminated pod 3',
  );
  say('scheduler checked: one run per fire across the two replicas, gateway-a stopped halfway and no fire lost');
}

async function main() {
  if (!existsSync(join(root, 'node_modules/typescript'))) run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!process.env.REDIS_URL) ensureRedisServer();
  run('npm', ['run', '--silent', 'build']);
  run('npm', ['run', '--silent', 'build:sample']);

  const redisUrl = process.env.REDIS_URL || (await startRedis());
  const host = process.env.HOST || '127.0.0.1';
  const port = process.env.PORT ? Number(process.env.PORT) : (await portIsFree(3000, host)) ? 3000 : await freePort();
  // A Redis of yours may hold an earlier run's users and tasks: use namespaces of this run's own.
  const namespace = redisServer ? 'demo' : `demo-${Date.now()}`;
  const periodMs = check ? 1000 : 2000;
  const env = {
    REDIS_URL: redisUrl,
    HOST: host,
    SCHEDULER_NAMESPACE: redisServer ? 'gateway' : `gateway-${namespace}`,
    WATCHED_SERVICES: `${namespace}/game`,
    POD_SWEEP_CRON: process.env.POD_SWEEP_CRON ?? `*/${periodMs / 1000} * * * * *`,
    // Short, so that the walk-through shows a dead pod swept within seconds (the sample's defaults: 15 s and 60 s).
    POD_LIVENESS_TIMEOUT_MS: process.env.POD_LIVENESS_TIMEOUT_MS ?? '3000',
    POD_SWEEP_AFTER_MS: process.env.POD_SWEEP_AFTER_MS ?? '8000',
    DEAD_POD_SWEEP_CRON: process.env.DEAD_POD_SWEEP_CRON ?? '* * * * * *',
    // Short, so that a run lost with its replica (or with its claim's reply) holds its task for seconds only.
    SCHEDULER_LEASE_MS: process.env.SCHEDULER_LEASE_MS ?? '5000',
  };
  const replicas = await Promise.all([
    startGateway('gateway-a', port, env),
    freePort().then((other) => startGateway('gateway-b', other, env)),
  ]);
  if (check) {
    showSweepLines = false;
    await checkWalkThrough(replicas[0].base, namespace);
    await checkScheduler(replicas, namespace);
    await stop(0);
  } else {
    const since = Date.now();
    await waitForFires(replicas[1], 'pod-sweep', since, 5, 30_000);
    showSweepLines = false;
    fireTable(
      (await api(replicas[1], 'GET', '/scheduler/tasks/pod-sweep/runs?limit=1000')).body.filter(
        (run) => Date.parse(run.scheduledAt) >= since && run.status !== 'running',
      ),
      periodMs,
    );
    say(
      `pod-sweep keeps firing (its log lines are hidden from now on); the history: curl -s ${replicas[0].base}/scheduler/tasks/pod-sweep/runs`,
    );
    console.log(walkThrough(replicas[0].base, replicas[1].base));
  }
}

main().catch((error) => fail(error.message));
