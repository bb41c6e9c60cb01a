import type { OverlapPolicy } from '../../../lib';
import { ApiCallRecord, NOTHING_WRITTEN_CODES } from './history-model';

/*
 * What the API calls of one task say about it over Redis time, for the checker: when it was surely
 * disabled, which payload version and cron were in force, its overlap policy, and the stretches in which
 * nothing about its schedule was in doubt. A call "committed" when it answered without error; a call
 * whose outcome is in doubt (no answer, or an error that does not prove nothing was written) may have
 * acted at any time until its `settledBy`.
 */

/** The task was surely disabled from `from` until `until` (exclusive; Infinity when never enabled again). */
export interface DisabledPeriod {
  from: number;
  until: number;
  by: ApiCallRecord;
}

/** Its schedule was surely `cron`, enabled, and no call of it could act in `[from, until]`. */
export interface StableStretch {
  from: number;
  until: number;
  cron: string;
}

/** Its overlap policy in `[from, until)`; undefined when a call that set it has an outcome in doubt. */
export interface OverlapEpoch {
  index: number;
  from: number;
  until: number;
  policy: OverlapPolicy | undefined;
}

function committed(call: ApiCallRecord): boolean {
  return call.outcome === 'ok';
}

function mayHaveActed(call: ApiCallRecord): boolean {
  return !(call.outcome === 'error' && call.errorCode !== undefined && NOTHING_WRITTEN_CODES.has(call.errorCode));
}

function disables(call: ApiCallRecord): boolean {
  return call.op === 'disableTask' || (call.op !== 'enableTask' && call.intent.enabled === false);
}

function enables(call: ApiCallRecord): boolean {
  return call.op === 'enableTask' || (call.op === 'updateTask' && call.intent.enabled === true);
}

export class TaskCalls {
  readonly calls: ApiCallRecord[];

  constructor(calls: readonly ApiCallRecord[]) {
    this.calls = [...calls].sort((a, b) => a.begin.lo - b.begin.lo);
  }

  /** Whether a run of this fire time may be a manual one (`triggerTask`: its scheduledAt is Redis's now then). */
  triggeredAt(scheduledAt: number): boolean {
    return this.calls.some(
      (call) =>
        call.op === 'triggerTask' &&
        mayHaveActed(call) &&
        scheduledAt >= Math.floor(call.begin.lo) &&
        scheduledAt <= Math.ceil(call.settledBy),
    );
  }

  /** Committed removals (`removeTask` answered true). */
  removals(): ApiCallRecord[] {
    return this.calls.filter((call) => call.op === 'removeTask' && committed(call) && call.result === true);
  }

  /** From a committed disable (its answer; an add disabled from its start) to the first call that may enable it. */
  disabledPeriods(): DisabledPeriod[] {
    const periods: DisabledPeriod[] = [];
    let open: { from: number; by: ApiCallRecord } | undefined;
    for (const call of this.calls) {
      if (open && enables(call) && mayHaveActed(call)) {
        periods.push({ ...open, until: call.begin.lo });
        open = undefined;
      }
      if (!open && committed(call) && disables(call))
        open = { from: call.op === 'addTask' ? call.begin.lo : (call.end?.hi ?? Infinity), by: call };
    }
    if (open) periods.push({ ...open, until: Infinity });
    return periods;
  }

  /** Committed updates that wrote a new payload version. */
  versionChanges(): Array<{ call: ApiCallRecord; version: number }> {
    return this.calls.flatMap((call) =>
      call.op === 'updateTask' && committed(call) && call.intent.version !== undefined
        ? [{ call, version: call.intent.version }]
        : [],
    );
  }

  /** Committed updates that changed the cron (or set one over a cron in doubt). */
  cronChanges(): ApiCallRecord[] {
    const changes: ApiCallRecord[] = [];
    let known: string | undefined;
    for (const call of this.calls) {
      if (call.intent.cron === undefined || !mayHaveActed(call)) continue;
      if (call.op === 'updateTask' && committed(call) && call.intent.cron !== known) changes.push(call);
      known = committed(call) ? call.intent.cron : undefined;
    }
    return changes;
  }

  /** The overlap policy between the calls that set it. */
  overlapEpochs(): OverlapEpoch[] {
    const setters = this.calls.filter((call) => call.intent.overlap !== undefined && mayHaveActed(call));
    return setters.map((call, index) => ({
      index,
      from: call.settledBy,
      until: setters[index + 1]?.begin.lo ?? Infinity,
      policy: committed(call) ? call.intent.overlap : undefined,
    }));
  }

  /**
   * Between calls (triggers aside: they change no definition), with a margin after the one before and
   * `marginBeforeMs` before the next (a fire claimed ahead of it is that call's business), where the task
   * was surely enabled with a known cron. The last one ends at `endOfHistory`.
   */
  stableStretches(marginAfterMs: number, marginBeforeMs: number, endOfHistory: number): StableStretch[] {
    const boundaries = this.calls.filter((call) => call.op !== 'triggerTask' && mayHaveActed(call));
    const stretches: StableStretch[] = [];
    let enabled: boolean | undefined;
    let cron: string | undefined;
    boundaries.forEach((call, i) => {
      const sure = committed(call);
      if (call.op === 'removeTask') enabled = sure && call.result === true ? false : undefined;
      if (enables(call) || disables(call) || call.op === 'addTask') enabled = sure ? !disables(call) : undefined;
      if (call.intent.cron !== undefined) cron = sure ? call.intent.cron : undefined;
      const next = boundaries[i + 1];
      const until = next ? next.begin.lo - marginBeforeMs : endOfHistory;
      const from = call.settledBy + marginAfterMs;
      if (enabled === true && cron !== undefined && from < until) stretches.push({ from, until, cron });
    });
    return stretches;
  }
}
