/*
 * npm run bench [-- --quick] [-- --ops=getLinkedPod,gatewayMix] [-- --rounds=N] [-- --priority=0]
 *
 * Starts its own redis-server and seeds 100 000 users for each implementation (each works on its
 * own namespace, so that one's writes never change what another reads). Then, per operation:
 * every implementation reads every user once (a gateway that has run a while), then the
 * implementations take turns (A B C D E, B C D E A, ...) in short throughput segments at 256
 * concurrent callers, and in single calls at concurrency 1, so that the noise of a busy machine
 * hits all of them alike. Ratios are taken within a round, then their median. Prints the table
 * and PASS/FAIL per target; a full run also writes bench/results/latest.json and the chart.
 *
 * `--suite=routing` runs only that; `--suite=scheduler` only the scheduler suite (bench/scheduler/suite.ts);
 * `--suite=sweep` only the dead-pod sweep (bench/sweep-figures.ts); without `--suite`, all three, then the
 * capacity model (bench/capacity.ts).
 */
import { Redis } from 'ioredis';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, setPriority, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { StatefulExecutorService } from '../lib';
import { RedisServer } from '../test/harness/redis-server';
import { OPERATIONS, type Implementation, type Operation } from './implementations/implementation';
import { library } from './implementations/library.implementation';
import { runSchedulerSuite } from './scheduler/suite';
import { printSweepFigures, sweepFigures } from './sweep-figures';
import { naivePort } from './implementations/naive-port.implementation';
import { rawIoredis } from './implementations/raw-ioredis.implementation';
import { autopipelinedIoredis } from './implementations/autopipelined-ioredis.implementation';
import { writeRatioChart } from './chart';
import { buildCapacityModel, formatCapacityModel, measureOperationCosts, type OperationCost } from './capacity';
import { writeSchedulerChart, type SchedulerChartRow } from './scheduler-chart';
import { latencies, median, percentile, throughput } from './measure';
import { measureNearCache, type NearCacheFigures } from './near-cache-figures';
import { checkTargets, formatChecks, formatRatios, formatTable, type RatioRow, type ResultRow } from './report';
import { OTHER_SERVICE, PODS, SERVICE, USERS, USERS_WITH_TWO_LINKS, namespaceFor, seededPod, uids } from './workload';

interface Settings {
  quick: boolean;
  /** Throughput segments per implementation and operation. */
  rounds: number;
  concurrency: number;
  throughputMs: number;
  /** Time spent measuring latency at concurrency 1, per operation, all implementations together. */
  latencyBudgetMs: number;
  operations: Operation[];
  write: boolean;
  /** maxEntries of the near-cache under test: room for every user's link and link map, as a gateway would be sized. */
  nearCacheEntries: number;
  invalidationRounds: number;
  /** Nice value for the benchmark and its redis-server (`--priority=0` leaves it). */
  priority: number;
}

function settings(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const operations = (value('ops')?.split(',') ?? [...OPERATIONS]) as Operation[];
  for (const operation of operations)
    if (!OPERATIONS.includes(operation)) throw new Error(`unknown operation ${operation}`);
  return {
    quick,
    rounds: Number(value('rounds') ?? (quick ? 4 : 12)),
    concurrency: 256,
    throughputMs: Number(value('throughput-ms') ?? (quick ? 120 : 150)),
    latencyBudgetMs: Number(value('latency-ms') ?? (quick ? 1_000 : 7_000)),
    operations,
    write: !quick || argv.includes('--write'),
    nearCacheEntries: Number(value('near-cache-entries') ?? 200_000),
    invalidationRounds: quick ? 100 : 500,
    priority: Number(value('priority') ?? -10),
  };
}

/** Calls at concurrency 1 that the library and raw ioredis each make at least (time allowing). */
const MIN_LATENCY_SAMPLES = 2_000;

/** Calls per block of the paired p99 comparison. */
const P99_BLOCK = 500;

/**
 * p99 of `a` − p99 of `b`, robust to bursts of machine noise: the calls were made in turns, so
 * the k-th call of each ran at about the same time; the p99s are compared block by block of
 * `P99_BLOCK` calls made side by side, and the median of the differences is taken. (With fewer
 * calls than a block, the plain difference.)
 */
function pairedP99Delta(a: readonly number[], b: readonly number[]): number {
  const blocks = Math.floor(Math.min(a.length, b.length) / P99_BLOCK);
  if (blocks < 1) return percentile(a, 99) - percentile(b, 99);
  const deltas: number[] = [];
  for (let block = 0; block < blocks; block++) {
    const from = block * P99_BLOCK;
    deltas.push(percentile(a.slice(from, from + P99_BLOCK), 99) - percentile(b.slice(from, from + P99_BLOCK), 99));
  }
  return median(deltas);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** Seeds one namespace through the library: running pods, 100 000 users with a link, 10 000 with two. */
async function seed(service: StatefulExecutorService, namespace: string, client: Redis) {
  for (let pod = 0; pod < PODS; pod++) {
    await service.setServiceState(namespace, SERVICE, pod, 'running');
    await service.setPodWeight(namespace, SERVICE, pod, 0);
  }
  const inParallel = async (count: number, call: (index: number) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < count) await call(next++);
      }),
    );
  };
  const before = await usedMemory(client);
  await inParallel(USERS, (i) => service.setLinkedPod(namespace, uids[i], SERVICE, seededPod(i), -1));
  const afterFirst = await usedMemory(client);
  await inParallel(USERS_WITH_TWO_LINKS, (i) =>
    service.setLinkedPod(namespace, uids[i], OTHER_SERVICE, seededPod(i), -1),
  );
  const afterSecond = await usedMemory(client);
  return {
    bytesPerUserWithOneLink: Math.round((afterFirst - before) / USERS),
    bytesPerExtraLink: Math.round((afterSecond - afterFirst) / USERS_WITH_TWO_LINKS),
  };
}

/** What the routing suite hands to the capacity model and the final verdict. */
interface RoutingOutcome {
  checks: Array<{ pass: boolean }>;
  costs: OperationCost[];
  redisMemory: { bytesPerUserWithOneLink: number; bytesPerExtraLink: number };
}

/** Calls per operation for the cost measurement (a batch read is 1 000 uids). */
function costCalls(operation: Operation, quick: boolean): number {
  const calls = operation === 'batchGetLinkedPod' ? 200 : 20_000;
  return quick ? calls / 10 : calls;
}

async function main(): Promise<RoutingOutcome> {
  const config = settings(process.argv.slice(2));
  const began = performance.now();
  const server = await RedisServer.start();
  const implementations: Implementation[] = [];
  const admin = new Redis(server.url);
  try {
    const lib = await library('library', { redis: server.url });
    const autopipelined = autopipelinedIoredis(server.url, 'autopipelined ioredis');
    implementations.push(
      lib,
      rawIoredis(server.url, 'raw ioredis'),
      naivePort(server.url, 'naive port'),
      autopipelined,
    );
    implementations.push(
      await library('library + near-cache', { redis: server.url, nearCache: { maxEntries: config.nearCacheEntries } }, [
        'getLinkedPod',
        'getLinkService',
        'gatewayMix',
      ]),
    );
    console.log(
      `${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}; ${config.rounds} rounds of ${config.throughputMs} ms at ${config.concurrency} callers, ${config.latencyBudgetMs} ms at 1 caller, per operation`,
    );
    process.stdout.write(
      `seeding ${USERS.toLocaleString('en-US')} users per implementation on redis-server ${server.url} ... `,
    );
    const seeder = (lib as Implementation & { service: StatefulExecutorService }).service;
    const memories = [];
    for (const impl of implementations) memories.push(await seed(seeder, impl.namespace, admin));
    const redisMemory = memories[0];
    const serverInfo = await admin.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? '?';
    if (config.priority !== 0) {
      // Both processes of the measurement ahead of whatever else runs on the machine (needs root; skipped otherwise).
      for (const pid of [process.pid, Number(/process_id:(\d+)/.exec(serverInfo)?.[1])]) {
        try {
          setPriority(pid, config.priority);
        } catch {
          // not permitted: measure at normal priority
        }
      }
    }
    process.stdout.write('done\n');

    const rows: ResultRow[] = [];
    /** Throughput of every segment, per operation and implementation, in the order measured. */
    const segments: Record<string, Record<string, number[]>> = {};
    const ratios: RatioRow[] = [];
    for (const operation of config.operations) {
      const present = implementations.filter((impl) => impl.operations[operation]);
      const counters = new Map<Implementation, number>(present.map((impl) => [impl, 0]));
      const next = (impl: Implementation) => () => {
        const value = counters.get(impl)!;
        counters.set(impl, value + 1);
        return value;
      };
      const loaded = new Map<Implementation, number[]>(present.map((impl) => [impl, []]));
      const samples = new Map<Implementation, number[]>(present.map((impl) => [impl, []]));
      process.stdout.write(`${operation}: warm-up`);
      if (['getLinkedPod', 'getLinkService', 'gatewayMix'].includes(operation)) {
        for (const impl of present) {
          let index = 0;
          await throughput(impl.warm, () => index++ % USERS, config.concurrency, 0, USERS);
        }
      }
      for (const impl of present) {
        await throughput(impl.operations[operation]!, next(impl), config.concurrency, config.throughputMs / 2);
        await latencies(impl.operations[operation]!, next(impl), 200, []);
      }
      for (let round = 0; round < config.rounds; round++) {
        process.stdout.write(` ${round + 1}`);
        for (const impl of rotate(present, round)) {
          loaded
            .get(impl)!
            .push(await throughput(impl.operations[operation]!, next(impl), config.concurrency, config.throughputMs));
        }
      }
      process.stdout.write(' latency');
      // One call of each in turn: a burst of noise from the rest of the machine hits all of them alike.
      // An implementation whose calls have used up its share of the time sits out (the naive batch read).
      // Slow calls (the batch read) get more time, up to three budgets, so that the library and raw
      // ioredis have enough calls side by side for a p99 of their own.
      const latencyStarted = performance.now();
      const share = config.latencyBudgetMs / present.length;
      const spentMs = new Map<Implementation, number>(present.map((impl) => [impl, 0]));
      const [libraryImpl, rawImpl] = implementations;
      const enough = () =>
        Math.min(samples.get(libraryImpl)!.length, samples.get(rawImpl)!.length) >= MIN_LATENCY_SAMPLES ||
        performance.now() - latencyStarted >= 3 * config.latencyBudgetMs;
      for (let round = 0; performance.now() - latencyStarted < config.latencyBudgetMs || !enough(); round++) {
        for (const impl of rotate(present, round)) {
          if (spentMs.get(impl)! >= share && impl !== libraryImpl && impl !== rawImpl) continue;
          const into = samples.get(impl)!;
          await latencies(impl.operations[operation]!, next(impl), 1, into);
          spentMs.set(impl, spentMs.get(impl)! + into[into.length - 1] / 1_000);
        }
      }
      process.stdout.write('\n');
      segments[operation] = Object.fromEntries(present.map((impl) => [impl.name, loaded.get(impl)!.map(Math.round)]));
      for (const impl of present) {
        rows.push({
          op: operation,
          impl: impl.name,
          concurrency: config.concurrency,
          opsPerSec: Math.round(median(loaded.get(impl)!)),
          p50Us: null,
          p99Us: null,
        });
        const all = samples.get(impl)!;
        rows.push({
          op: operation,
          impl: impl.name,
          concurrency: 1,
          opsPerSec: Math.round(all.length / (all.reduce((sum, us) => sum + us, 0) / 1e6)),
          p50Us: Number(percentile(all, 50).toFixed(1)),
          p99Us: Number(percentile(all, 99).toFixed(1)),
        });
      }
      const [libImpl, raw, naive] = implementations;
      const perRound = (a: Implementation, b: Implementation) =>
        median(loaded.get(a)!.map((value, round) => value / loaded.get(b)![round]));
      const near = present.find((impl) => impl.name.includes('near-cache'));
      ratios.push({
        op: operation,
        libraryVsRaw: Number(perRound(libImpl, raw).toFixed(3)),
        libraryVsNaive: Number(perRound(libImpl, naive).toFixed(3)),
        libraryVsAutopipelined: Number(perRound(libImpl, autopipelined).toFixed(3)),
        p99DeltaUs: Number(pairedP99Delta(samples.get(libImpl)!, samples.get(raw)!).toFixed(1)),
        pooledP99DeltaUs: Number(
          (percentile(samples.get(libImpl)!, 99) - percentile(samples.get(raw)!, 99)).toFixed(1),
        ),
        ...(near ? { nearCacheVsRaw: Number(perRound(near, raw).toFixed(3)) } : {}),
      });
    }

    process.stdout.write('Redis commands and server CPU per call ... ');
    const costs: OperationCost[] = [];
    for (const operation of config.operations)
      costs.push(
        ...(await measureOperationCosts(
          admin,
          implementations[0],
          [operation],
          costCalls(operation, config.quick),
          config.concurrency,
        )),
      );
    process.stdout.write('done\n');
    process.stdout.write('near-cache coherence and memory ... ');
    const nearCache: NearCacheFigures = await measureNearCache(
      server.url,
      namespaceFor('library'),
      config.invalidationRounds,
      50_000,
    );
    process.stdout.write('done\n');
    const checks = checkTargets(ratios);
    const memory = process.memoryUsage();
    console.log();
    console.log(
      formatTable(
        rows,
        ratios,
        implementations.map((impl) => impl.name),
      ),
    );
    console.log();
    console.log(formatRatios(ratios));
    console.log();
    console.log(formatChecks(checks));
    console.log();
    console.log(
      `Redis memory: ${redisMemory.bytesPerUserWithOneLink} B per user with one link, ${redisMemory.bytesPerExtraLink} B per further link`,
    );
    console.log(
      `Near-cache: another client's write drops the entry in ${nearCache.invalidationP50Us} µs (p50), ` +
        `${nearCache.invalidationP99Us} µs (p99), ${nearCache.invalidationMaxUs} µs (max) over ${nearCache.invalidationSamples} writes; ` +
        `${nearCache.afterWriteReplyP50Us} µs after the writer's reply (p50); ${nearCache.heapBytesPerEntry} B of heap per entry`,
    );
    console.log(
      `Node process: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );
    const seconds = (performance.now() - began) / 1_000;
    console.log(
      `${checks.filter((check) => check.pass).length} of ${checks.length} targets PASS in ${seconds.toFixed(0)} s`,
    );
    if (config.write) {
      const machine = {
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${platform()} ${release()} ${arch()}`,
        node: process.version,
      };
      const out = join(__dirname, '..', '..', 'bench', 'results');
      mkdirSync(out, { recursive: true });
      const subtitle = `${machine.cores} × ${machine.cpu ?? 'CPU'}, Node ${process.version}, redis-server ${redisVersion}, ${new Date().toISOString().slice(0, 10)}`;
      const charts = writeRatioChart(ratios, checks, join(out, 'ratios.svg'), join(out, 'ratios.png'), subtitle);
      console.log(`wrote ${[join(out, 'latest.json'), ...charts].join(', ')}`);
      // The other suites' sections stay until they are measured again.
      const previous = existsSync(join(out, 'latest.json'))
        ? (JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Record<string, unknown>)
        : {};
      writeFileSync(
        join(out, 'latest.json'),
        JSON.stringify(
          {
            ...previous,
            date: new Date().toISOString(),
            machine: { ...machine, redis: redisVersion },
            settings: config,
            results: rows,
            ratios,
            targets: checks,
            redisMemory,
            costs,
            nearCache,
            segments,
            nodeMemory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
          },
          null,
          2,
        ) + '\n',
      );
    }
    return { checks, costs, redisMemory };
  } finally {
    for (const impl of implementations) await impl.close().catch(() => undefined);
    admin.disconnect();
    await server.dispose();
  }
}

interface StoredResults {
  costs?: OperationCost[];
  redisMemory?: RoutingOutcome['redisMemory'];
  scheduler?: {
    date: string;
    results: Array<SchedulerChartRow & { redisCommandsPerRun: number; redisCpuUsPerRun: number }>;
  };
  capacity?: unknown;
}

/**
 * The capacity model from this run's routing costs (or the stored ones) and the stored scheduler figures, printed;
 * on a full run written to latest.json and bench/results/capacity.md, with the scheduler chart.
 */
function reportCapacity(routing: RoutingOutcome | undefined, write: boolean): void {
  const out = join(__dirname, '..', '..', 'bench', 'results');
  const file = join(out, 'latest.json');
  const stored: StoredResults = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredResults) : {};
  const costs = routing?.costs ?? stored.costs;
  const memory = routing?.redisMemory ?? stored.redisMemory;
  if (!costs?.some((cost) => cost.op === 'gatewayMix') || !memory) {
    console.log('capacity model: needs the routing suite with the gateway mix (npm run bench)');
    return;
  }
  const librarySteady = stored.scheduler?.results.find((row) => row.impl === 'library' && row.load === 'steady');
  const model = buildCapacityModel(costs, memory, librarySteady);
  const table = formatCapacityModel(model);
  console.log();
  console.log('Capacity model (from the measured costs above; see bench/capacity.ts)');
  console.log(table);
  if (!write) return;
  writeFileSync(file, JSON.stringify({ ...stored, capacity: model }, null, 2) + '\n');
  writeFileSync(join(out, 'capacity.md'), table + '\n');
  const written = [join(out, 'capacity.md')];
  if (stored.scheduler)
    written.push(
      ...writeSchedulerChart(
        stored.scheduler.results,
        join(out, 'scheduler.svg'),
        join(out, 'scheduler.png'),
        `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${stored.scheduler.date.slice(0, 10)}`,
      ),
    );
  console.log(`wrote ${written.join(', ')}`);
}

/** The dead-pod sweep on a standalone Redis and on the harness cluster; on a full run kept in latest.json. */
async function reportSweep(runs: number, write: boolean): Promise<void> {
  console.log();
  console.log('Dead-pod sweep of 1 and of 10 silent pods (10 000 links each) in a namespace of 1 000 000 links');
  const figures = await sweepFigures(runs);
  for (const figure of [...figures.standalone, ...figures.cluster]) printSweepFigures(figure);
  if (!write) return;
  const file = join(__dirname, '..', '..', 'bench', 'results', 'latest.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(
    file,
    JSON.stringify({ ...stored, sweep: { date: new Date().toISOString(), ...figures } }, null, 2) + '\n',
  );
}

async function dispatch(argv: string[]): Promise<void> {
  const suite = argv.find((arg) => arg.startsWith('--suite='))?.slice('--suite='.length);
  if (suite !== undefined && !['routing', 'scheduler', 'sweep'].includes(suite))
    throw new Error(`unknown suite ${suite}`);
  const runs = (name: string) => suite === undefined || suite === name;
  const write = !argv.includes('--quick') || argv.includes('--write');
  const routing = runs('routing') ? await main() : undefined;
  const scheduler = runs('scheduler') ? await runSchedulerSuite(argv) : [];
  if (runs('sweep')) await reportSweep(argv.includes('--quick') ? 1 : 3, write);
  if (suite !== 'sweep') reportCapacity(routing, write);
  const checks = [...(routing?.checks ?? []), ...scheduler];
  console.log();
  console.log(
    `${checks.filter((check) => check.pass).length} of ${checks.length} targets PASS` +
      (routing
        ? ` (routing ${routing.checks.filter((check) => check.pass).length} of ${routing.checks.length}`
        : ' (') +
      (suite !== 'routing'
        ? `${routing ? ', ' : ''}scheduler ${scheduler.filter((check) => check.pass).length} of ${scheduler.length})`
        : ')'),
  );
}

dispatch(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
