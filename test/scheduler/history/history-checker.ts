import { Cron } from 'croner';
import type { History, OutcomeEntry, RunRecord } from './history-model';
import { IntervalSet } from './interval-set';
import { TaskCalls } from './task-calls';

/*
 * The checker: a pure function of a recorded history (history-model.ts) that holds the scheduler to its
 * contract (SCHEDULER.md, and issue 17's seven invariants). Times are compared as intervals on Redis's clock,
 * and a comparison concludes only when the intervals do not overlap: a violation is certain, never a matter
 * of clock error. Where faults make a promise conditional (nothing vanishes "with no crash"), fires near a
 * fault are left out, with margins; the other invariants hold through faults. One gap is left open on
 * purpose: a replica paused between its last look at the run's start window and the handler call would start
 * "after" a change returned meanwhile; a gap of microseconds, which no SIGSTOP of these runs is likely to meet.
 */

export interface InvariantReport {
  id: number;
  title: string;
  /** How many cases were checked (fires, starts, pairs…: see `detail`). */
  checked: number;
  detail: string;
  violations: string[];
}

/** What a fire may end as in getRuns (anything but still `pending` or `running`). */
const OUTCOMES = new Set(['success', 'failed', 'retry', 'skipped', 'missed', 'lost', 'cancelled']);
/**
 * Around a fault (besides the look-ahead before it and a lease after it): a fire claimed ahead of it, and
 * leases that ran out because of it, are its doing.
 */
const FAULT_MARGIN_BEFORE_MS = 500;
const FAULT_MARGIN_AFTER_MS = 1_000;
/** Around an API call of the task: after its reply, and before its start (besides the look-ahead). */
const CALL_MARGIN_AFTER_MS = 500;
const CALL_MARGIN_BEFORE_MS = 500;
/** Fires in the last second of the workload may still be on their way when the history is read. */
const END_MARGIN_MS = 1_000;
/** Keys: per task, its state and indexes besides its history; per namespace, counters and heartbeats. */
const KEY_ELEMENTS_PER_TASK = 50;
const KEY_ELEMENTS_PER_NAMESPACE = 50;
/**
 * Two handlers that start this close together on two replicas (overlap `allow`) may call them in either order
 * after their starts were confirmed in Redis: their tokens are not held to the order of those calls.
 */
const START_RACE_MS = 50;
/** Heartbeats of replicas that died lately (not yet pruned) beside the live ones. */
const DEAD_REPLICAS_ALLOWED = 2;

export function checkHistory(history: History): InvariantReport[] {
  const index = new HistoryIndex(history);
  return [
    checkOncePerFire(index),
    checkNothingAfterChanges(index),
    checkNeverEarly(index),
    checkOutcomes(index),
    checkFencing(index),
    checkNoCrash(history),
    checkBoundedKeys(history),
  ];
}

/** The history by task, and the fault windows, computed once. */
class HistoryIndex {
  readonly runsByTask = new Map<string, RunRecord[]>();
  private readonly callsByTask = new Map<string, TaskCalls>();
  /** Fires in these windows (faults with their margins) are not held to "exactly one outcome". */
  readonly nearFaults: IntervalSet;
  /** Faults of Redis that stop every replica for a while (a closed subscriber connection stops none). */
  private readonly redisFaults: IntervalSet;
  private readonly replicaFaults = new Map<string, IntervalSet>();

  constructor(readonly history: History) {
    for (const run of history.runs) this.runsByTask.set(run.taskId, [...(this.runsByTask.get(run.taskId) ?? []), run]);
    const calls = new Map<string, typeof history.calls>();
    for (const call of history.calls) calls.set(call.taskId, [...(calls.get(call.taskId) ?? []), call]);
    for (const [taskId, list] of calls) this.callsByTask.set(taskId, new TaskCalls(list));
    const { leaseMs, lookAheadMs } = history.settings;
    this.nearFaults = new IntervalSet(
      history.faults.map(({ window }) => [
        window.lo - lookAheadMs - FAULT_MARGIN_BEFORE_MS,
        window.hi + leaseMs + FAULT_MARGIN_AFTER_MS,
      ]),
    );
    const windows = (faults: typeof history.faults) =>
      faults.map(({ window }) => [window.lo, window.hi] as [number, number]);
    this.redisFaults = new IntervalSet(
      windows(history.faults.filter((fault) => fault.instanceId === undefined && fault.kind !== 'pubsub-kill')),
    );
    const instances = new Set(history.faults.flatMap((fault) => (fault.instanceId ? [fault.instanceId] : [])));
    for (const instanceId of instances)
      this.replicaFaults.set(
        instanceId,
        new IntervalSet(windows(history.faults.filter((fault) => fault.instanceId === instanceId))),
      );
  }

  calls(taskId: string): TaskCalls {
    return this.callsByTask.get(taskId) ?? new TaskCalls([]);
  }

  /**
   * When Redis decided that the run starts (its recorded start: the claim, or the confirmation of a run claimed
   * ahead), else the handler's start. A change committed after that decision finds the run in progress: its
   * handler may still be called a moment after the change returned, as its replica reads the reply.
   */
  startDecidedAt(run: RunRecord): number {
    const entry = this.history.outcomes[run.taskId]?.find(
      (e) => e.scheduledAt === run.scheduledAt && e.attempt === run.attempt && e.instanceId === run.instanceId,
    );
    return typeof entry?.startedAt === 'number' ? Math.min(entry.startedAt, run.start.lo) : run.start.lo;
  }

  /**
   * A run that ended by itself (returned or threw, signal never aborted), with no fault of Redis or of its
   * replica from its start to `afterEndMs` past its end: nothing can excuse what became of it.
   */
  clean(run: RunRecord, afterEndMs: number): run is RunRecord & { end: NonNullable<RunRecord['end']> } {
    if (!run.end || run.outcome === null || run.abortedAt) return false;
    const hi = run.end.hi + afterEndMs;
    if (this.redisFaults.overlaps(run.start.lo, hi)) return false;
    return !this.replicaFaults.get(run.instanceId)?.overlaps(run.start.lo, hi);
  }
}

/** 1. At most one start per (task, scheduledAt, attempt), so one first attempt per fire; getRuns alike. */
function checkOncePerFire(index: HistoryIndex): InvariantReport {
  const violations: string[] = [];
  let starts = 0;
  let entries = 0;
  const allowed = (taskId: string, scheduledAt: number, attempt: number) =>
    // A manual run's scheduledAt is Redis's now: in the rare case it is a fire time too, two first attempts.
    attempt === 1 && index.calls(taskId).triggeredAt(scheduledAt) ? 2 : 1;
  for (const [taskId, runs] of index.runsByTask) {
    for (const [, group] of groupBy(runs, (run) => `${run.scheduledAt}#${run.attempt}`)) {
      starts++;
      const { scheduledAt, attempt } = group[0];
      if (group.length > allowed(taskId, scheduledAt, attempt))
        violations.push(
          `${taskId} ${fire(scheduledAt, attempt)} started ${group.length} times: ${group.map(describeRun).join('; ')}`,
        );
    }
  }
  for (const [taskId, list] of Object.entries(index.history.outcomes)) {
    for (const [, group] of groupBy(list, (entry) => `${entry.scheduledAt}#${entry.attempt}`)) {
      entries++;
      const { scheduledAt, attempt } = group[0];
      if (group.length > allowed(taskId, scheduledAt, attempt))
        violations.push(
          `${taskId} ${fire(scheduledAt, attempt)} has ${group.length} entries in getRuns: ` +
            group.map(describeEntry).join(', '),
        );
    }
  }
  return {
    id: 1,
    title: 'at most one start per (task, scheduledAt, attempt); one first attempt per fire',
    checked: starts + entries,
    detail: `${starts} (task, fire, attempt) keys of starts, ${entries} of getRuns entries`,
    violations,
  };
}

/**
 * 2. Nothing starts after a committed remove, disable or definition change for the old definition: no handler is
 * called after the change returned, even of a run Redis started before it (a change waits for the start window of
 * its task's latest run; a handler not called within it is checked again first).
 */
function checkNothingAfterChanges(index: HistoryIndex): InvariantReport {
  const violations: string[] = [];
  const counts = { removals: 0, disables: 0, versions: 0, crons: 0, compared: 0 };
  for (const [taskId, runs] of index.runsByTask) {
    const calls = index.calls(taskId);
    // A fire of the schedule: not a retry, nor a triggered run, nor a fire that waited under bufferOne (it was due
    // before the change, and runs once with the definition of when it starts).
    const scheduled = (run: RunRecord) =>
      run.attempt === 1 && run.kind !== 'buffered' && !calls.triggeredAt(run.scheduledAt);
    for (const removal of calls.removals()) {
      counts.removals++;
      const after = removal.end?.hi ?? Infinity;
      for (const run of runs) {
        counts.compared++;
        if (run.start.lo > after)
          violations.push(`${taskId}: ${describeRun(run)} started after removeTask returned at ${at(after)}`);
      }
    }
    for (const period of calls.disabledPeriods()) {
      counts.disables++;
      for (const run of runs.filter(scheduled)) {
        counts.compared++;
        const how = period.by.op === 'addTask' ? 'added disabled' : `${period.by.op} returned at ${at(period.from)}`;
        const until = period.until === Infinity ? 'never enabled again' : `enabled again from ${at(period.until)}`;
        if (run.start.lo > period.from && run.start.hi < period.until)
          violations.push(`${taskId}: ${describeRun(run)} started while disabled (${how}, ${until})`);
        else if (run.scheduledAt > period.from && run.scheduledAt < period.until)
          violations.push(`${taskId}: ${describeRun(run)} ran a fire time of a disabled period (${how}, ${until})`);
      }
    }
    for (const { call, version } of calls.versionChanges()) {
      counts.versions++;
      const after = call.end?.hi ?? Infinity;
      for (const run of runs) {
        counts.compared++;
        if (run.start.lo > after && run.version !== null && run.version < version) {
          const kind = run.attempt === 1 ? 'started' : 'retried';
          violations.push(
            `${taskId}: ${describeRun(run)} ${kind} with payload v${run.version} ` +
              `after updateTask to v${version} returned at ${at(after)}`,
          );
        }
      }
    }
    for (const change of calls.cronChanges()) {
      counts.crons++;
      const after = change.end?.hi ?? Infinity;
      for (const run of runs.filter(scheduled)) {
        counts.compared++;
        if (run.scheduledAt < change.begin.lo && run.start.lo > after)
          violations.push(
            `${taskId}: ${describeRun(run)}, a fire of the old cron, started after updateTask ` +
              `to "${change.intent.cron}" returned at ${at(after)}`,
          );
      }
    }
  }
  return {
    id: 2,
    title: 'no start after a committed removeTask / disable / definition change, for the old definition',
    checked: counts.compared,
    detail:
      `${counts.removals} removals, ${counts.disables} disabled periods, ${counts.versions} payload versions, ` +
      `${counts.crons} cron changes; ${counts.compared} (change, start) pairs`,
    violations,
  };
}

/** 3. Never early: the latest Redis time a start may have had is not before its fire time. */
function checkNeverEarly(index: HistoryIndex): InvariantReport {
  const violations: string[] = [];
  let checked = 0;
  for (const [taskId, runs] of index.runsByTask) {
    for (const run of runs) {
      checked++;
      if (run.start.hi < run.scheduledAt)
        violations.push(
          `${taskId}: ${describeRun(run)} started at least ${(run.scheduledAt - run.start.hi).toFixed(3)} ms early`,
        );
    }
  }
  return {
    id: 3,
    title: 'never early: start ≥ scheduledAt on Redis time',
    checked,
    detail: `${checked} starts`,
    violations,
  };
}

/**
 * 4. Every fire of an enabled task in a fault-free stretch has exactly one outcome in getRuns; and a run that
 * ended cleanly is recorded as it ended (returned: success; threw anything at all: retry or failed).
 */
function checkOutcomes(index: HistoryIndex): InvariantReport {
  const { history } = index;
  const { leaseMs, lookAheadMs, historyLength } = history.settings;
  const violations: string[] = [];
  let fires = 0;
  let agreements = 0;
  for (const [taskId, entries] of Object.entries(history.outcomes)) {
    const byKey = groupBy(entries, (entry) => `${entry.scheduledAt}#${entry.attempt}`);
    // A full history has dropped its oldest entries: only what is younger than its oldest is checked.
    const kept = entries.length >= historyLength ? Math.min(...entries.map((entry) => entry.scheduledAt)) : -Infinity;
    const calls = index.calls(taskId);
    const stretches = calls.stableStretches(
      CALL_MARGIN_AFTER_MS,
      lookAheadMs + CALL_MARGIN_BEFORE_MS,
      history.window.end - END_MARGIN_MS,
    );
    for (const stretch of stretches) {
      for (const time of firesOf(stretch.cron, stretch.from, stretch.until)) {
        if (time < kept || index.nearFaults.contains(time)) continue;
        fires++;
        const firsts = byKey.get(`${time}#1`) ?? [];
        const allowed = calls.triggeredAt(time) ? 2 : 1;
        if (firsts.length === 0)
          violations.push(`${taskId} ${fire(time, 1)}: no entry in getRuns (cron ${stretch.cron})`);
        else if (firsts.length > allowed)
          violations.push(
            `${taskId} ${fire(time, 1)}: ${firsts.length} entries: ${firsts.map(describeEntry).join(', ')}`,
          );
        else if (!firsts.every((entry) => OUTCOMES.has(entry.status)))
          violations.push(
            `${taskId} ${fire(time, 1)}: still ${firsts.map((entry) => entry.status).join(', ')} at the end`,
          );
      }
    }
    for (const run of index.runsByTask.get(taskId) ?? []) {
      // Fires after the workload's end still run while the history is read: their finish may come after it.
      if (run.scheduledAt < kept || run.scheduledAt > history.window.end - END_MARGIN_MS) continue;
      if (!index.clean(run, leaseMs)) continue;
      agreements++;
      const entry = byKey.get(`${run.scheduledAt}#${run.attempt}`)?.find((e) => e.instanceId === run.instanceId);
      const expected = run.outcome === 'returned' ? ['success'] : ['retry', 'failed'];
      if (!entry) violations.push(`${taskId}: ${describeRun(run)} ${run.outcome} cleanly but has no entry in getRuns`);
      else if (!expected.includes(entry.status))
        violations.push(`${taskId}: ${describeRun(run)} ${run.outcome} cleanly but is recorded ${entry.status}`);
    }
  }
  return {
    id: 4,
    title: 'every fire in a fault-free stretch has exactly one outcome in getRuns, as the handler ended',
    checked: fires + agreements,
    detail: `${fires} fires of enabled tasks in fault-free stretches, ${agreements} cleanly ended runs`,
    violations,
  };
}

/**
 * 5. Fencing tokens of a task increase with start order; under overlap skip/bufferOne also with fire order
 * (retries included), and no two runs of the task are surely running at once.
 */
function checkFencing(index: HistoryIndex): InvariantReport {
  const violations: string[] = [];
  const counts = { starts: 0, fireOrdered: 0, exclusive: 0 };
  for (const [taskId, runs] of index.runsByTask) {
    counts.starts += runs.length;
    // Start order is Redis's: a run claimed when due started at its claim, whenever its replica called the handler.
    const decided = (run: RunRecord) => {
      const at = index.startDecidedAt(run);
      return at < run.start.lo ? { lo: at, hi: at } : run.start;
    };
    for (const [earlier, later] of startOrderInversions(runs, decided))
      violations.push(`${taskId}: ${describeRun(later)} started after ${describeRun(earlier)} with a lower token`);
    const calls = index.calls(taskId);
    // When each fire's first recorded attempt started: retries of a fire begun under another policy (`allow`, with
    // several retries waiting at once) keep their backoff order, not the fire order, once the policy changes.
    const firstStart = new Map<number, number>();
    for (const run of runs)
      firstStart.set(run.scheduledAt, Math.min(firstStart.get(run.scheduledAt) ?? Infinity, run.start.lo));
    for (const epoch of calls.overlapEpochs()) {
      if (epoch.policy !== 'skip' && epoch.policy !== 'bufferOne') continue;
      const inEpoch = runs.filter((run) => run.start.lo >= epoch.from && run.start.hi < epoch.until);
      const fired = inEpoch
        .filter((run) => !calls.triggeredAt(run.scheduledAt))
        .filter((run) => (firstStart.get(run.scheduledAt) as number) >= epoch.from)
        .sort((a, b) => a.scheduledAt - b.scheduledAt || a.attempt - b.attempt);
      counts.fireOrdered += fired.length;
      for (let i = 1; i < fired.length; i++) {
        const [a, b] = [fired[i - 1], fired[i]];
        if (a.scheduledAt === b.scheduledAt && a.attempt === b.attempt) continue;
        if (a.fencingToken >= b.fencingToken)
          violations.push(
            `${taskId} (overlap ${epoch.policy}): ${describeRun(b)} holds a lower token than ${describeRun(a)}`,
          );
      }
      const clean = inEpoch.filter((run) => index.clean(run, 0)).sort((a, b) => a.start.hi - b.start.hi);
      counts.exclusive += clean.length;
      let longest: (typeof clean)[number] | undefined;
      for (const run of clean) {
        if (longest && run.start.hi < longest.end.lo && run.start.hi < run.end.lo)
          violations.push(
            `${taskId} (overlap ${epoch.policy}): ${describeRun(run)} ran while ${describeRun(longest)} was running`,
          );
        if (!longest || run.end.lo > longest.end.lo) longest = run;
      }
    }
  }
  return {
    id: 5,
    title: 'fencing tokens increase with start order (skip/bufferOne: with fire order, one run at a time)',
    checked: counts.starts + counts.fireOrdered + counts.exclusive,
    detail:
      `${counts.starts} starts by start order, ${counts.fireOrdered} by fire order, ` +
      `${counts.exclusive} clean runs for exclusion`,
    violations,
  };
}

/** Pairs where a run surely started (by START_RACE_MS) after another yet holds a token no higher (a sweep). */
function startOrderInversions(
  runs: RunRecord[],
  startOf: (run: RunRecord) => { lo: number; hi: number },
): Array<[RunRecord, RunRecord]> {
  const byLatestStart = [...runs].sort((a, b) => startOf(a).hi - startOf(b).hi);
  const byStart = [...runs].sort((a, b) => startOf(a).lo - startOf(b).lo);
  const inversions: Array<[RunRecord, RunRecord]> = [];
  let highest: RunRecord | undefined;
  let next = 0;
  for (const run of byStart) {
    while (next < byLatestStart.length && startOf(byLatestStart[next]).hi + START_RACE_MS < startOf(run).lo) {
      if (!highest || byLatestStart[next].fencingToken > highest.fencingToken) highest = byLatestStart[next];
      next++;
    }
    if (highest && highest.fencingToken >= run.fencingToken) inversions.push([highest, run]);
  }
  return inversions;
}

/** 6. No unhandled rejection, uncaught exception or unasked-for exit in any process. */
function checkNoCrash(history: History): InvariantReport {
  return {
    id: 6,
    title: 'no unhandled rejection / uncaught exception / exit nobody asked for',
    checked: history.processes,
    detail: `${history.processes} processes`,
    violations: [...history.crashes],
  };
}

/** 7. The namespace's keys stay within tasks × (historyLength + a constant); dead replicas' heartbeats go. */
function checkBoundedKeys(history: History): InvariantReport {
  const { keys } = history;
  const violations: string[] = [];
  const bound = keys.tasks * (history.settings.historyLength + KEY_ELEMENTS_PER_TASK) + KEY_ELEMENTS_PER_NAMESPACE;
  if (keys.elements > bound)
    violations.push(`${keys.elements} elements in ${keys.keys} keys for ${keys.tasks} tasks: more than ${bound}`);
  const replicasBound = keys.liveReplicas + DEAD_REPLICAS_ALLOWED;
  if (keys.replicasHash !== null && keys.replicasHash > replicasBound)
    violations.push(
      `the replicas' heartbeat hash holds ${keys.replicasHash} entries for ${keys.liveReplicas} live replicas ` +
        `(at most ${replicasBound})`,
    );
  return {
    id: 7,
    title: 'bounded keys: elements ≤ tasks × (historyLength + c); heartbeats ≤ live replicas + c',
    checked: keys.replicasHash === null ? 1 : 2,
    detail:
      `${keys.elements} elements in ${keys.keys} keys (bound ${bound}); heartbeat hash ` +
      `${keys.replicasHash ?? 'not found'} (bound ${replicasBound})`,
    violations,
  };
}

const schedules = new Map<string, Cron>();

/** Fire times of `cron` (UTC) in `(from, until]`. */
function firesOf(cron: string, from: number, until: number): number[] {
  let schedule = schedules.get(cron);
  if (!schedule) schedules.set(cron, (schedule = new Cron(cron, { timezone: 'UTC', mode: '5-or-6-parts' })));
  const fires: number[] = [];
  for (let next = schedule.nextRun(new Date(from)); next && next.getTime() <= until; next = schedule.nextRun(next))
    fires.push(next.getTime());
  return fires;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** A Redis time as `HH:MM:SS.mmm` (UTC). */
function at(ms: number): string {
  return Number.isFinite(ms) ? new Date(Math.floor(ms)).toISOString().slice(11, 23) : String(ms);
}

function fire(scheduledAt: number, attempt: number): string {
  return `fire ${at(scheduledAt)}#${attempt}`;
}

function describeRun(run: RunRecord): string {
  const started = `started ${at(run.start.lo)}–${at(run.start.hi)}`;
  return `${fire(run.scheduledAt, run.attempt)} (token ${run.fencingToken}, v${run.version}, ${run.instanceId}, ${started})`;
}

function describeEntry(entry: OutcomeEntry): string {
  return `${entry.status}@${entry.instanceId ?? '-'}`;
}
