import type { ReplicaEvent } from '../../harness/replica-process';
import type { FaultInjector } from './fault-injector';
import {
  ApiCallRecord,
  FaultRecord,
  History,
  KeyCensus,
  NOTHING_WRITTEN_CODES,
  RedisInterval,
  RunRecord,
} from './history-model';
import type { ApiEvent, ClockEvent, CrashEvent, FinalEvent, RunEvent, StallEvent } from './history-replica-protocol';
import { ClockSample, RedisTimeline } from './redis-time-bounds';
import type { Incarnation, ReplicaFleet } from './replica-fleet';
import { IN_DOUBT_SETTLE_MS, WorkloadDriver } from './workload-driver';

/*
 * The recorder: turns what every process printed or did, each on its own `performance.now()`, into one
 * history on Redis's clock (history-model.ts). Each replica process is converted with its own TIME samples,
 * the test's faults and calls with the test process's.
 */

export interface RunMaterial {
  settings: History['settings'];
  fleet: ReplicaFleet;
  driver: WorkloadDriver;
  injector: FaultInjector;
  /** The test process's TIME samples, and its instants of the workload's start and end. */
  testSamples: ClockSample[];
  startedAt: number;
  endedAt: number;
  final: FinalEvent;
  keys: Omit<KeyCensus, 'tasks'>;
  /** Unhandled rejections and uncaught exceptions of the test process during the run. */
  testCrashes: string[];
}

export function recordHistory(material: RunMaterial): History {
  const testTime = new RedisTimeline(material.testSamples);
  const timelines = new Map<Incarnation, RedisTimeline>();
  for (const incarnation of material.fleet.incarnations) {
    const samples = incarnation.process.eventsOf('clock') as unknown as ClockEvent[];
    timelines.set(incarnation, new RedisTimeline(samples));
  }
  const end = testTime.at(material.endedAt).hi;
  const runs: RunRecord[] = [];
  const faults: FaultRecord[] = [];
  const crashes: string[] = [...material.testCrashes.map((crash) => `test process: ${crash}`)];
  for (const [incarnation, timeline] of timelines) {
    const events = incarnation.process.events;
    if (timeline.size > 0) {
      runs.push(...runsOf(events, timeline));
      faults.push(...stallsOf(incarnation.instanceId, events, timeline));
    } else if (events.some((event) => event.event === 'run-start' || event.event === 'api-begin')) {
      crashes.push(`${incarnation.instanceId}: events but no TIME sample to place them with`);
    }
    crashes.push(...crashesOf(incarnation));
  }
  for (const fault of material.injector.faults)
    faults.push({
      kind: fault.kind,
      instanceId: fault.instanceId,
      window: { lo: testTime.at(fault.beganAt).lo, hi: testTime.at(fault.endedAt).hi },
      detail: fault.error ? `${fault.detail}: ${fault.error}` : fault.detail,
    });
  const calls = material.driver.calls.map((call): ApiCallRecord => {
    const incarnation = call.incarnation;
    const events = incarnation?.process.events ?? [];
    const timeline = incarnation && timelines.get(incarnation);
    const begin = events.find((e) => e.event === 'api-begin' && e.callId === call.callId) as ApiEvent | undefined;
    const answer = events.find((e) => e.event === 'api-end' && e.callId === call.callId) as ApiEvent | undefined;
    const place = (at: number): RedisInterval => (timeline as RedisTimeline).at(at);
    const endInterval = answer ? place(answer.at) : null;
    const outcome = !incarnation ? 'error' : !answer ? 'unknown' : answer.ok ? 'ok' : 'error';
    const code = !incarnation ? 'NOT_INITIALIZED' : answer?.code;
    const definitive = outcome === 'ok' || (outcome === 'error' && NOTHING_WRITTEN_CODES.has(code ?? ''));
    // In doubt: until its replica was seen dead (or the end) plus the time a command may still be in flight.
    const deadAt = incarnation?.exitSeenAt !== undefined ? testTime.at(incarnation.exitSeenAt).hi : end;
    const settledBy = definitive && endInterval ? endInterval.hi : (endInterval?.hi ?? deadAt) + IN_DOUBT_SETTLE_MS;
    const sent = testTime.at(call.sentAt);
    return {
      callId: call.callId,
      taskId: call.planned.taskId,
      op: call.planned.op,
      instanceId: incarnation?.instanceId ?? '-',
      begin: begin ? place(begin.at) : sent,
      end: endInterval ?? (!incarnation ? sent : null),
      outcome,
      errorCode: outcome === 'error' ? (code ?? 'UNKNOWN') : undefined,
      result: answer?.result,
      settledBy: !incarnation ? sent.hi : settledBy,
      intent: call.planned.intent,
    };
  });
  return {
    settings: material.settings,
    window: { start: testTime.at(material.startedAt).lo, end },
    calls,
    runs,
    faults,
    outcomes: Object.fromEntries(Object.entries(material.final.runs)),
    crashes: material.final.error ? [...crashes, `final read: ${material.final.error}`] : crashes,
    processes: material.fleet.incarnations.length + 1,
    keys: { ...material.keys, tasks: material.final.tasks.length },
  };
}

/** Handler starts, each with its end and abort if printed, keyed by fencing token (unique per task). */
function runsOf(events: ReplicaEvent[], timeline: RedisTimeline): RunRecord[] {
  const runs = new Map<string, RunRecord>();
  for (const raw of events) {
    if (raw.event !== 'run-start' && raw.event !== 'run-end' && raw.event !== 'run-abort') continue;
    const event = raw as unknown as RunEvent;
    const key = `${event.taskId}|${event.fencingToken}`;
    if (event.event === 'run-start') {
      runs.set(key, {
        taskId: event.taskId,
        scheduledAt: event.scheduledAt,
        kind: event.kind,
        attempt: event.attempt,
        fencingToken: event.fencingToken,
        instanceId: event.instanceId,
        version: event.version,
        start: timeline.at(event.at),
        end: null,
        outcome: null,
        abortedAt: null,
      });
      continue;
    }
    const run = runs.get(key);
    if (!run) continue;
    if (event.event === 'run-abort') run.abortedAt ??= timeline.at(event.at);
    else {
      run.end = timeline.at(event.at);
      run.outcome = event.outcome ?? null;
    }
  }
  return [...runs.values()];
}

function stallsOf(instanceId: string, events: ReplicaEvent[], timeline: RedisTimeline): FaultRecord[] {
  return events
    .filter((event) => event.event === 'stall')
    .map((raw) => {
      const stall = raw as unknown as StallEvent;
      return {
        kind: 'stall' as const,
        instanceId,
        window: { lo: timeline.at(stall.from).lo, hi: timeline.at(stall.to).hi },
        detail: `${instanceId} event loop stalled ${Math.round(stall.to - stall.from)} ms`,
      };
    });
}

/** What a replica did that it should not have: crashed, failed to boot, or exited by itself. */
function crashesOf(incarnation: Incarnation): string[] {
  const { instanceId, process } = incarnation;
  const found = (process.eventsOf('unhandled') as unknown as CrashEvent[]).map(
    (crash) => `${instanceId}: ${crash.kind}: ${crash.message.split('\n').slice(0, 3).join(' | ')}`,
  );
  for (const failed of process.eventsOf('boot-failed'))
    found.push(`${instanceId}: boot failed: ${String(failed.message)}`);
  if (incarnation.bootError) found.push(`${instanceId}: ${incarnation.bootError}`);
  if (!process.running && !incarnation.killedOnPurpose) found.push(`${instanceId}: exited by itself`);
  // Whatever Node printed itself (a crash it reported before any handler of ours could).
  const printed = /UnhandledPromiseRejection|Uncaught|unhandledRejection|uncaughtException/.exec(process.output());
  if (printed && found.length === 0) found.push(`${instanceId}: printed "${printed[0]}" on stderr`);
  return found;
}
