import type { InvariantReport } from './history-checker';
import type { HistoryRun } from './history-run';

/** Violations printed per invariant (the count says how many more there are). */
const SHOWN_VIOLATIONS = 8;

/** The lines printed after a run: seed, faults by kind, API calls, starts, and each invariant with its counts. */
export function summarize(run: HistoryRun, seed: number, reports: InvariantReport[]): string[] {
  const { history } = run;
  const faults = countBy(run.faults.map((fault) => (fault.error ? `${fault.kind} (with errors)` : fault.kind)));
  const stalls = history.faults.filter((fault) => fault.kind === 'stall').length;
  const calls = countBy(
    history.calls.map((call) => `${call.op} ${call.outcome === 'error' ? call.errorCode : call.outcome}`),
  );
  const retries = history.runs.filter((r) => r.attempt > 1).length;
  const logs = countBy(run.logs.map((log) => log.level));
  const lines = [
    `seed ${seed}, namespace ${run.namespace}, replica r${run.faketime.instanceSlot + 1} under faketime ` +
      `${run.faketime.offset}, lookAheadMs ${run.lookAheadMs}`,
    `faults injected: ${format(faults)}; event-loop stalls seen: ${stalls}`,
    ...run.faults.filter((fault) => fault.error).map((fault) => `  fault went wrong: ${fault.kind}: ${fault.error}`),
    `API calls: ${history.calls.length} (${format(calls)})`,
    `handler starts: ${history.runs.length} (${history.runs.length - retries} first attempts, ${retries} retries), ` +
      `${history.runs.filter((r) => r.end).length} ended, ${history.runs.filter((r) => r.abortedAt).length} aborted`,
    `replica log lines: ${format(logs)}`,
  ];
  for (const report of reports) {
    const verdict = report.violations.length === 0 ? 'OK' : `${report.violations.length} VIOLATIONS`;
    lines.push(`invariant ${report.id} ${verdict}: ${report.title}; checked ${report.detail}`);
    for (const violation of report.violations.slice(0, SHOWN_VIOLATIONS)) lines.push(`  ${violation}`);
    if (report.violations.length > SHOWN_VIOLATIONS)
      lines.push(`  … and ${report.violations.length - SHOWN_VIOLATIONS} more`);
  }
  return lines;
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

function format(counts: Map<string, number>): string {
  return counts.size === 0 ? 'none' : [...counts].map(([key, count]) => `${key} ${count}`).join(', ');
}
