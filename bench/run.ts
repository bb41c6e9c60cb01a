/*
 * npm run bench [-- --quick] [-- --ops=getLinkedPod,gatewayMix]
 *
 * Starts its own redis-server, seeds 100 000 users, then measures every operation with every
 * implementation interleaved (A B C, B C A, C A B, ...) over several rounds, so that the noise of
 * a busy machine hits all of them alike; ratios are taken within a round, then their median.
 */
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RedisServer } from '../test/harness/redis-server';
import { OPERATIONS, type Implementation, type Operation } from './implementations/implementation';
import { library } from './implementations/library.implementation';
import { naivePort } from './implementations/naive-port.implementation';
import { rawIoredis } from './implementations/raw-ioredis.implementation';
import { latencies, median, percentile, throughput } from './measure';
import { measureNearCache, type NearCacheFigures } from './near-cache-figures';
import { checkTargets, formatChecks, formatRatios, formatTable, type RatioRow, type ResultRow } from './report';
import { NAMESPACE, OTHER_SERVICE, PODS, SERVICE, USERS, USERS_WITH_TWO_LINKS, seededPod, uids } from './workload';

interface Settings {
  quick: boolean;
  /** Throughput segments per implementation and operation. */
  rounds: number;
  concurrency: number;
  throughputMs: number;
  /** Time spent measuring latency at concurrency 1, per operation, all implementations together. */
  latencyBudgetMs: number;
  /** Calls per implementation before the next one takes over, at concurrency 1. */
  latencyChunk: number;
  operations: Operation[];
  write: boolean;
  /** maxEntries of the near-cache under test: room for every user's link and link map, as a gateway would be sized. */
  nearCacheEntries: number;
  invalidationRounds: number;
}

function settings(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const operations = (value('ops')?.split(',') ?? [...OPERATIONS]) as Operation[];
  for (const operation of operations) if (!OPERATIONS.includes(operation)) throw new Error(`unknown operation ${operation}`);
  return {
    quick,
    rounds: Number(value('rounds') ?? (quick ? 4 : 12)),
    concurrency: 256,
    throughputMs: Number(value('throughput-ms') ?? (quick ? 150 : 250)),
    latencyBudgetMs: Number(value('latency-ms') ?? (quick ? 1_000 : 4_000)),
    latencyChunk: 25,
    operations,
    write: !quick || argv.includes('--write'),
    nearCacheEntries: Number(value('near-cache-entries') ?? 200_000),
    invalidationRounds: quick ? 100 : 500,
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function seed(lib: Implementation & { service?: import('../lib').StatefulExecutorService }, client: Redis) {
  const service = lib.service!;
  for (let pod = 0; pod < PODS; pod++) {
    await service.setServiceState(NAMESPACE, SERVICE, pod, 'running');
    await service.setPodWeight(NAMESPACE, SERVICE, pod, 0);
  }
  const inParallel = async (count: number, call: (index: number) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(Array.from({ length: 256 }, async () => {
      while (next < count) await call(next++);
    }));
  };
  const before = await usedMemory(client);
  await inParallel(USERS, (i) => service.setLinkedPod(NAMESPACE, uids[i], SERVICE, seededPod(i), -1));
  const afterFirst = await usedMemory(client);
  await inParallel(USERS_WITH_TWO_LINKS, (i) => service.setLinkedPod(NAMESPACE, uids[i], OTHER_SERVICE, seededPod(i), -1));
  const afterSecond = await usedMemory(client);
  return {
    bytesPerUserWithOneLink: Math.round((afterFirst - before) / USERS),
    bytesPerExtraLink: Math.round((afterSecond - afterFirst) / USERS_WITH_TWO_LINKS),
  };
}

async function main(): Promise<void> {
  const config = settings(process.argv.slice(2));
  const began = performance.now();
  const server = await RedisServer.start();
  const implementations: Implementation[] = [];
  const admin = new Redis(server.url);
  try {
    const lib = await library('library', { redis: server.url });
    implementations.push(lib, rawIoredis(server.url), naivePort(server.url));
    implementations.push(
      await library('library + near-cache', { redis: server.url, nearCache: { maxEntries: config.nearCacheEntries } }, [
        'getLinkedPod',
        'getLinkService',
        'gatewayMix',
      ]),
    );
    process.stdout.write(`seeding ${USERS.toLocaleString('en-US')} users on redis-server ${server.url} ... `);
    const redisMemory = await seed(lib, admin);
    process.stdout.write('done\n');

    const rows: ResultRow[] = [];
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
          loaded.get(impl)!.push(await throughput(impl.operations[operation]!, next(impl), config.concurrency, config.throughputMs));
        }
      }
      process.stdout.write(' latency');
      const latencyStarted = performance.now();
      for (let round = 0; performance.now() - latencyStarted < config.latencyBudgetMs; round++) {
        for (const impl of rotate(present, round)) {
          const into = samples.get(impl)!;
          // A slow call (the naive batch) ends its chunk early, so that the others still get their turns.
          const chunkStarted = performance.now();
          for (let calls = 0; calls < config.latencyChunk && performance.now() - chunkStarted < 20; calls++) {
            await latencies(impl.operations[operation]!, next(impl), 1, into);
          }
        }
      }
      process.stdout.write('\n');
      for (const impl of present) {
        rows.push({ op: operation, impl: impl.name, concurrency: config.concurrency, opsPerSec: Math.round(median(loaded.get(impl)!)), p50Us: null, p99Us: null });
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
      const perRound = (a: Implementation, b: Implementation) => median(loaded.get(a)!.map((value, round) => value / loaded.get(b)![round]));
      const near = present.find((impl) => impl.name.includes('near-cache'));
      ratios.push({
        op: operation,
        libraryVsRaw: Number(perRound(libImpl, raw).toFixed(3)),
        libraryVsNaive: Number(perRound(libImpl, naive).toFixed(3)),
        p99DeltaUs: Number((percentile(samples.get(libImpl)!, 99) - percentile(samples.get(raw)!, 99)).toFixed(1)),
        ...(near ? { nearCacheVsRaw: Number(perRound(near, raw).toFixed(3)) } : {}),
      });
    }

    process.stdout.write('near-cache coherence and memory ... ');
    const nearCache: NearCacheFigures = await measureNearCache(server.url, config.invalidationRounds, 50_000);
    process.stdout.write('done\n');
    const checks = checkTargets(ratios);
    const memory = process.memoryUsage();
    console.log();
    console.log(formatTable(rows, ratios, implementations.map((impl) => impl.name)));
    console.log();
    console.log(formatRatios(ratios));
    console.log();
    console.log(formatChecks(checks));
    console.log();
    console.log(`Redis memory: ${redisMemory.bytesPerUserWithOneLink} B per user with one link, ${redisMemory.bytesPerExtraLink} B per further link`);
    console.log(
      `Near-cache: another client's write drops the entry in ${nearCache.invalidationP50Us} µs (p50), ` +
        `${nearCache.invalidationP99Us} µs (p99), ${nearCache.invalidationMaxUs} µs (max) over ${nearCache.invalidationSamples} writes; ` +
        `${nearCache.afterWriteReplyP50Us} µs after the writer's reply (p50); ${nearCache.heapBytesPerEntry} B of heap per entry`,
    );
    console.log(`Node process: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
    const seconds = (performance.now() - began) / 1_000;
    console.log(`${checks.filter((check) => check.pass).length} of ${checks.length} targets PASS in ${seconds.toFixed(0)} s`);
    if (config.write) {
      const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()} ${arch()}`, node: process.version };
      const out = join(__dirname, '..', '..', 'bench', 'results');
      mkdirSync(out, { recursive: true });
      writeFileSync(
        join(out, 'latest.json'),
        JSON.stringify({ date: new Date().toISOString(), machine, settings: config, results: rows, ratios, targets: checks, redisMemory, nearCache, nodeMemory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed } }, null, 2) + '\n',
      );
    }
  } finally {
    for (const impl of implementations) await impl.close().catch(() => undefined);
    admin.disconnect();
    await server.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
