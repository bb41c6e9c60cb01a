/*
 * Cluster batch reads: `batchGetLinkedPod` of 100 000 uids and `getWorkloadState` of 20 000 services in
 * one call each, on the three-master harness cluster (3 masters, 3 replicas). Prints the median of a few
 * runs and PASS/FAIL against the target (100 000 uids within 1 s).
 *
 *   npm run build:test && node --expose-gc .build/bench/cluster-batch-figures.js [--runs=5]
 */
import { performance } from 'node:perf_hooks';
import { ClusterTarget } from '../test/harness/cluster-target';
import { writeBySlot } from '../test/harness/cluster-writes';
import { startStatefulApp } from '../test/harness/stateful-app';
import { median } from './measure';
import { KEY_PREFIX, PODS, SERVICE, uids } from './workload';

const NAMESPACE = 'bench-cluster-batch';
const SERVICES = 20_000;
const TARGET_MS = 1_000;
const gc = (globalThis as { gc?: () => void }).gc;

function runsFromArguments(): number {
  const argument = process.argv.find((arg) => arg.startsWith('--runs='));
  const runs = argument ? Number(argument.slice('--runs='.length)) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${argument}`);
  return runs;
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  gc?.();
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const runs = runsFromArguments();
  const target = new ClusterTarget();
  await target.start();
  const raw = target.rawClient();
  const app = await startStatefulApp(target.moduleOptions());
  try {
    // Every other uid linked (as another implementation would write it); every third service has a state.
    const links: Array<[string, string]> = [];
    for (let i = 0; i < uids.length; i += 2)
      links.push([`${KEY_PREFIX}:{${NAMESPACE}:lk:${uids[i]}}${SERVICE}`, String(i % PODS)]);
    const services = Array.from({ length: SERVICES }, (_, i) => `service-${i}`);
    const states: Array<[string, string]> = [];
    for (let i = 0; i < services.length; i += 3)
      states.push([`${KEY_PREFIX}:{${NAMESPACE}:workload:${services[i]}}`, 'stable']);
    await writeBySlot(raw, links);
    await writeBySlot(raw, states);

    const list = [...uids];
    // One call of each off the clock: connections warm, code compiled.
    await app.service.batchGetLinkedPod(NAMESPACE, list.slice(0, 10_000), SERVICE);
    await app.service.getWorkloadState(NAMESPACE, services.slice(0, 1_000));

    const batchMs: number[] = [];
    const workloadMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      const batch = await timed(() => app.service.batchGetLinkedPod(NAMESPACE, list, SERVICE));
      const found = Object.values(batch.value).reduce((sum, uidsOfPod) => sum + uidsOfPod.length, 0);
      if (found !== links.length) throw new Error(`batchGetLinkedPod found ${found} links, ${links.length} expected`);
      batchMs.push(batch.ms);
      const workload = await timed(() => app.service.getWorkloadState(NAMESPACE, services));
      const stated = Object.keys(workload.value).length;
      if (stated !== states.length)
        throw new Error(`getWorkloadState found ${stated} states, ${states.length} expected`);
      workloadMs.push(workload.ms);
    }
    const format = (values: number[]) => values.map((ms) => ms.toFixed(0)).join(', ');
    const batchMedian = median(batchMs);
    console.log(`Cluster batch reads (3 masters, 3 replicas), ${runs} runs`);
    console.log(
      `  batchGetLinkedPod, ${uids.length} uids: median ${batchMedian.toFixed(0)} ms (runs: ${format(batchMs)})`,
    );
    console.log(
      `  getWorkloadState, ${SERVICES} services: median ${median(workloadMs).toFixed(0)} ms (runs: ${format(workloadMs)})`,
    );
    console.log(
      `  target: ${uids.length} uids within ${TARGET_MS} ms: ${batchMedian <= TARGET_MS ? 'PASS' : 'FAIL'} (${batchMedian.toFixed(0)} ms)`,
    );
  } finally {
    raw.disconnect();
    await app.close();
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
