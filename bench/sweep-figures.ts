/*
 * Sweep of dead pods' links, as the built-in sweep does it (markSilentPods, the walk of the links conditional on
 * each mark, forgetMarkedPods), with 1 000 000 links in the namespace (one service, 100 pods, 10 000 links each)
 * and 1 or 10 silent pods, on a standalone Redis and on the three-master harness cluster (3 masters, 3 replicas).
 * One sweep is one SCAN of each master (every link key and uid hash: 2 000 000 keys) however many pods are
 * silent, plus one compare-and-delete script per link of a silent pod. Prints the median of a few runs (the pods'
 * links and last reports are written back between runs).
 *
 *   npm run build:test && node .build/bench/sweep-figures.js [--runs=3]
 */
import { Cluster, Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { ClusterTarget } from '../test/harness/cluster-target';
import { StandaloneTarget, type RedisTarget } from '../test/harness/redis-target';
import { startStatefulApp } from '../test/harness/stateful-app';
import { median } from './measure';

const NAMESPACE = 'bench-sweep';
const SERVICE = 'game';
const LINKS = 1_000_000;
const PODS = 100;
/** Silent pods per figure: pods 0 .. n-1. */
const SILENT_POD_COUNTS = [1, 10] as const;
/** Their last report, older than the sweep's silence. */
const SILENT_FOR_MS = 60_000;
/** Commands in flight while loading the links. */
const LOAD_CHUNK = 20_000;

/** The figures of one target and one number of silent pods. */
export interface SweepTargetFigures {
  target: 'standalone' | 'cluster';
  silentPods: number;
  links: number;
  /** Links of the silent pods, all removed by one sweep. */
  linksOnPod: number;
  /** Keys in the keyspace the sweep scans (link keys and uid hashes). */
  keys: number;
  runsMs: number[];
  medianMs: number;
  /** Batches reported through `onProgress` in the last run. */
  batches: number;
}

export interface SweepFigures {
  standalone: SweepTargetFigures[];
  cluster: SweepTargetFigures[];
}

const uid = (index: number) => `user-${index}`;
const linkKey = (index: number) => `sf:{${NAMESPACE}:lk:${uid(index)}}${SERVICE}`;
const hashKey = (index: number) => `sf:{${NAMESPACE}:lk:${uid(index)}}`;

/** Writes links `indexes` as every implementation stores them (link key + uid hash field), persistent. */
async function writeLinks(client: Redis | Cluster, indexes: number[]): Promise<void> {
  for (let start = 0; start < indexes.length; start += LOAD_CHUNK) {
    const chunk = indexes.slice(start, start + LOAD_CHUNK);
    await Promise.all(
      chunk.flatMap((index) => {
        const pod = String(index % PODS);
        return [client.set(linkKey(index), pod), client.hset(hashKey(index), SERVICE, pod)];
      }),
    );
  }
}

/** Keys of every master (DBSIZE). */
async function keyCount(client: Redis | Cluster): Promise<number> {
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  const sizes = await Promise.all(masters.map((node) => node.dbsize()));
  return sizes.reduce((sum, size) => sum + size, 0);
}

async function measureTarget(target: RedisTarget, runs: number): Promise<SweepTargetFigures[]> {
  await target.start();
  const options = target.moduleOptions();
  // Auto-pipelining only for loading the data: the library's own client is the module's.
  const loader =
    target.name === 'cluster'
      ? new Cluster((options.cluster as { nodes: Array<{ host: string; port: number }> }).nodes, {
          enableAutoPipelining: true,
          redisOptions: { maxRetriesPerRequest: 3 },
        })
      : new Redis((target as StandaloneTarget).server.port, (target as StandaloneTarget).server.host, {
          enableAutoPipelining: true,
        });
  const app = await startStatefulApp({ ...options, commandTimeoutMs: 30_000 });
  const directory = app.service;
  try {
    const all = Array.from({ length: LINKS }, (_, i) => i);
    await writeLinks(loader, all);
    const keys = await keyCount(loader);
    const figures: SweepTargetFigures[] = [];
    for (const silentPods of SILENT_POD_COUNTS) {
      const onPods = all.filter((index) => index % PODS < silentPods);
      const runsMs: number[] = [];
      let batches = 0;
      for (let run = 0; run < runs; run++) {
        await writeLinks(loader, onPods);
        await silence(loader, silentPods);
        batches = 0;
        const onProgress = () => void batches++;
        const started = performance.now();
        const marks = await directory.markSilentPods(NAMESPACE, SERVICE, SILENT_FOR_MS);
        const swept = await directory.removeMarkedPodLinks(NAMESPACE, marks, { onProgress });
        await directory.forgetMarkedPods(NAMESPACE, marks);
        runsMs.push(performance.now() - started);
        const removed = swept.reduce((sum, pod) => sum + pod.removed, 0);
        if (marks.length !== silentPods || removed !== onPods.length)
          throw new Error(`${marks.length} pods marked, ${removed} links removed; ${onPods.length} expected`);
      }
      figures.push({
        target: target.name as 'standalone' | 'cluster',
        silentPods,
        links: LINKS,
        linksOnPod: onPods.length,
        keys,
        runsMs,
        medianMs: median(runsMs),
        batches,
      });
    }
    return figures;
  } finally {
    loader.disconnect();
    await app.close();
    await target.stop();
  }
}

/** Pods 0 .. n-1 `running`, their last report (written as the library writes it) older than the sweep's silence. */
async function silence(client: Redis | Cluster, pods: number): Promise<void> {
  const statesKey = `sf:{${NAMESPACE}:state:${SERVICE}}`;
  const [seconds] = await client.time();
  const longAgo = String(Number(seconds) * 1000 - 10 * SILENT_FOR_MS);
  for (let pod = 0; pod < pods; pod++) {
    await client.hset(statesKey, String(pod), 'running');
    await client.hdel(`${statesKey}writes`, String(pod));
    await client.hset(`${statesKey}seen`, String(pod), longAgo);
  }
}

/** Measures the sweep on a standalone Redis, then on the harness cluster (each started and stopped here). */
export async function sweepFigures(runs = 3): Promise<SweepFigures> {
  const standalone = await measureTarget(new StandaloneTarget(), runs);
  const cluster = await measureTarget(new ClusterTarget(), runs);
  return { standalone, cluster };
}

function runsFromArguments(): number {
  const argument = process.argv.find((arg) => arg.startsWith('--runs='));
  const runs = argument ? Number(argument.slice('--runs='.length)) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${argument}`);
  return runs;
}

/** One line per target and number of silent pods. */
export function printSweepFigures(figures: SweepTargetFigures): void {
  console.log(
    `  ${figures.target}, ${figures.silentPods} silent pod(s): ${figures.linksOnPod} of ${figures.links} links ` +
      `(${figures.keys} keys scanned) swept in ` +
      `median ${figures.medianMs.toFixed(0)} ms (runs: ${figures.runsMs.map((ms) => ms.toFixed(0)).join(', ')}; ` +
      `${figures.batches} batches)`,
  );
}

if (require.main === module) {
  sweepFigures(runsFromArguments())
    .then((figures) => {
      console.log('Dead-pod sweep of 1 and 10 silent pods (10 000 links each) in a 1 000 000-link namespace');
      for (const figure of [...figures.standalone, ...figures.cluster]) printSweepFigures(figure);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
