/*
 * Sweep of a dead pod's links: `removePodLinks` with 1 000 000 links in the namespace (one service, 100 pods),
 * 10 000 of them on the swept pod, on a standalone Redis and on the three-master harness cluster (3 masters,
 * 3 replicas). The sweep is a full SCAN of each master (every link key and uid hash: 2 000 000 keys) plus one
 * compare-and-delete script per link of the pod. Prints the median of a few runs (the pod's links are written
 * back between runs).
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
const SWEPT_POD = 0;
/** Commands in flight while loading the links. */
const LOAD_CHUNK = 20_000;

/** The figures of one target. */
export interface SweepTargetFigures {
  target: 'standalone' | 'cluster';
  links: number;
  linksOnPod: number;
  /** Keys in the keyspace the sweep scans (link keys and uid hashes). */
  keys: number;
  runsMs: number[];
  medianMs: number;
  /** Batches reported through `onProgress` in the last run. */
  batches: number;
}

export interface SweepFigures {
  standalone: SweepTargetFigures;
  cluster: SweepTargetFigures;
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

async function measureTarget(target: RedisTarget, runs: number): Promise<SweepTargetFigures> {
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
  try {
    const all = Array.from({ length: LINKS }, (_, i) => i);
    const onPod = all.filter((index) => index % PODS === SWEPT_POD);
    await writeLinks(loader, all);
    const keys = await keyCount(loader);
    const runsMs: number[] = [];
    let batches = 0;
    for (let run = 0; run < runs; run++) {
      if (run > 0) await writeLinks(loader, onPod);
      batches = 0;
      const started = performance.now();
      const removed = await app.service.removePodLinks(NAMESPACE, SERVICE, SWEPT_POD, { onProgress: () => batches++ });
      runsMs.push(performance.now() - started);
      if (removed !== onPod.length) throw new Error(`removePodLinks removed ${removed}, ${onPod.length} expected`);
    }
    return {
      target: target.name as 'standalone' | 'cluster',
      links: LINKS,
      linksOnPod: onPod.length,
      keys,
      runsMs,
      medianMs: median(runsMs),
      batches,
    };
  } finally {
    loader.disconnect();
    await app.close();
    await target.stop();
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

/** One line per target. */
export function printSweepFigures(figures: SweepTargetFigures): void {
  console.log(
    `  ${figures.target}: ${figures.linksOnPod} of ${figures.links} links (${figures.keys} keys scanned) swept in ` +
      `median ${figures.medianMs.toFixed(0)} ms (runs: ${figures.runsMs.map((ms) => ms.toFixed(0)).join(', ')}; ` +
      `${figures.batches} batches)`,
  );
}

if (require.main === module) {
  sweepFigures(runsFromArguments())
    .then((figures) => {
      console.log('removePodLinks: sweep of one pod of a 1 000 000-link namespace');
      printSweepFigures(figures.standalone);
      printSweepFigures(figures.cluster);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
