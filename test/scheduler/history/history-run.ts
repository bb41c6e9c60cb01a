import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../../harness/prng';
import { FAST_MODULE_OPTIONS } from '../replicas/replica-scenario';
import { FaultInjector, InjectedFault } from './fault-injector';
import { PlannedFault, RedisTargetKind, planFaults } from './fault-plan';
import type { History } from './history-model';
import { recordHistory } from './history-recorder';
import type { FinalEvent, HistoryReplicaConfig, RunEvent } from './history-replica-protocol';
import { ClusterHistoryTarget, HistoryTarget, StandaloneHistoryTarget } from './history-target';
import { RandomDraws } from './random-draws';
import { ClockSample, ClockSampler, RedisTimeline } from './redis-time-bounds';
import { ReplicaFleet } from './replica-fleet';
import { WorkloadDriver } from './workload-driver';
import { HISTORY_WORKFLOWS, PlannedOp, planWorkload } from './workload-plan';

/*
 * One history run: a Redis target, 3 replica processes (one of them always under faketime ±40 s), the
 * seeded workload and faults played side by side, a drain, and the final read of every task's runs and of
 * the namespace's keys; then everything recorded on Redis's clock for the checker.
 */

/** Enough history per task for a whole run: nothing the checker needs is trimmed away. */
const HISTORY_LENGTH = 500;
/** After the workload: long enough for leases of runs caught by the last faults to run out and be retried. */
const DRAIN_MS = 6_000;
/** Then at most this long more for the handlers of fires up to the end of the workload to end. */
const DRAIN_MORE_MS = 20_000;

export interface HistoryRunOptions {
  seed: number;
  target: RedisTargetKind;
  workloadMs: number;
  /** Progress lines (the seed, the plan, the phases). */
  log: (line: string) => void;
}

export interface HistoryRun {
  namespace: string;
  history: History;
  ops: PlannedOp[];
  plannedFaults: PlannedFault[];
  faults: InjectedFault[];
  faketime: { instanceSlot: number; offset: string };
  lookAheadMs: number;
  /** The replicas' warnings and errors (lost leases, unfinished runs), for a look at a failing seed. */
  logs: ReplicaLog[];
}

interface ReplicaLog {
  instanceId: string;
  /** When this process received it (its wall clock: the test process is not under faketime). */
  receivedAt: number;
  level: string;
  message: string;
}

export async function runHistory(options: HistoryRunOptions): Promise<HistoryRun> {
  const { seed, workloadMs } = options;
  // Each plan from a seed of its own: a change to one does not shift the draws of the other.
  const draws = new RandomDraws(mulberry32(seed));
  const ops = planWorkload(mulberry32(draws.seed()), workloadMs);
  const plannedFaults = planFaults(mulberry32(draws.seed()), workloadMs, options.target);
  const faketime = { instanceSlot: draws.int(0, 2), offset: draws.pick(['+40s', '-40s']) };
  const lookAheadMs = draws.pick([500, 1_000]);
  const namespace = `history-${options.target}-${seed.toString(16)}`;
  const settings = { leaseMs: FAST_MODULE_OPTIONS.leaseMs, lookAheadMs, historyLength: HISTORY_LENGTH };
  options.log(
    `${options.target}: ${ops.length} calls and ${plannedFaults.length} faults planned over ${workloadMs / 1000} s; ` +
      `replica r${faketime.instanceSlot + 1} under faketime ${faketime.offset}; lookAheadMs ${lookAheadMs}`,
  );

  const target: HistoryTarget =
    options.target === 'cluster' ? new ClusterHistoryTarget() : new StandaloneHistoryTarget();
  const testSamples: ClockSample[] = [];
  const testCrashes: string[] = [];
  const onUnhandled = (reason: unknown) => testCrashes.push(`unhandledRejection: ${String(reason)}`);
  const onUncaught = (error: Error) => testCrashes.push(`uncaughtException: ${error.stack ?? error.message}`);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  await target.start();
  const timeClient = target.timeClient();
  timeClient.on('error', () => undefined);
  const sampler = new ClockSampler(timeClient, (sample) => testSamples.push(sample));
  sampler.start();
  const config = (instanceId: string): HistoryReplicaConfig => ({
    instanceId,
    namespace,
    ...target.replicaConnection(),
    module: { ...FAST_MODULE_OPTIONS, historyLength: HISTORY_LENGTH, lookAheadMs, maxConcurrent: 10 },
    workflows: HISTORY_WORKFLOWS,
  });
  const fleet = new ReplicaFleet(config, (slot) => (slot === faketime.instanceSlot ? faketime.offset : undefined));
  try {
    await fleet.start();
    options.log(`${options.target}: 3 replicas up; workload and faults start`);
    const driver = new WorkloadDriver(fleet, ops);
    const injector = new FaultInjector(fleet, target, namespace, plannedFaults);
    const startedAt = performance.now() + 200;
    await Promise.all([driver.run(startedAt), injector.run(startedAt)]);
    const endedAt = performance.now();
    await fleet.settle();
    await sampler.sample();
    await drain(fleet, new RedisTimeline(testSamples).at(endedAt).hi);
    options.log(`${options.target}: workload over, drained; reading the history`);
    const final = await readFinal(fleet);
    const counted = await target.countKeys(namespace);
    const liveReplicas = fleet.liveCount;
    await fleet.killAll();
    await sampler.sample();
    const history = recordHistory({
      settings,
      fleet,
      driver,
      injector,
      testSamples,
      startedAt,
      endedAt,
      final,
      keys: { ...counted, liveReplicas },
      testCrashes,
    });
    const logs = fleet.incarnations.flatMap(({ instanceId, process }) =>
      process.eventsOf('log').map(({ receivedAt, level, message }) => ({
        instanceId,
        receivedAt,
        level: String(level),
        message: String(message),
      })),
    );
    return { namespace, history, ops, plannedFaults, faults: injector.faults, faketime, lookAheadMs, logs };
  } finally {
    sampler.stop();
    await fleet.killAll();
    timeClient.disconnect();
    await target.stop();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }
}

/** Waits, then until every handler of a fire up to `endRedisMs` has ended on the live replicas. */
async function drain(fleet: ReplicaFleet, endRedisMs: number): Promise<void> {
  await sleep(DRAIN_MS);
  const deadline = performance.now() + DRAIN_MORE_MS;
  while (performance.now() < deadline && openRuns(fleet, endRedisMs) > 0) await sleep(500);
}

function openRuns(fleet: ReplicaFleet, endRedisMs: number): number {
  let open = 0;
  for (const incarnation of fleet.incarnations) {
    if (!incarnation.process.running) continue;
    const ended = new Set<string>();
    const started: RunEvent[] = [];
    for (const event of incarnation.process.events) {
      const run = event as unknown as RunEvent;
      if (event.event === 'run-end') ended.add(`${run.taskId}|${run.fencingToken}`);
      else if (event.event === 'run-start' && run.scheduledAt <= endRedisMs) started.push(run);
    }
    open += started.filter((run) => !ended.has(`${run.taskId}|${run.fencingToken}`)).length;
  }
  return open;
}

/** Every task and its whole history, read through a live replica's API. */
async function readFinal(fleet: ReplicaFleet): Promise<FinalEvent> {
  const reader = fleet.pickRunning(0);
  if (!reader) throw new Error('no replica is up to read the history with');
  reader.process.send({ cmd: 'read', historyLength: HISTORY_LENGTH });
  return (await reader.process.waitFor('final', () => true, 30_000)) as unknown as FinalEvent;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
