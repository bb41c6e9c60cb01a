import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { InjectedFault } from './fault-injector';
import { checkHistory, InvariantReport } from './history-checker';
import { runHistory } from './history-run';
import { historySeed, historySize, rerunCommand } from './history-size';
import { summarize } from './history-summary';

/*
 * The scheduler under faults, Jepsen-style (issue 17, part 5): 3 replica processes run a seeded random
 * workload of API calls while seeded faults hit them and Redis; every handler start and end and every call
 * is recorded on Redis's clock, and history-checker.ts holds the whole history to the contract. HISTORY_SEED
 * picks the seed (default: from the time, printed), HISTORY_SIZE=ci (about 3 minutes) or long (30 minutes,
 * a cluster half included). It runs only when HISTORY_SIZE is set: `npm test` skips it, `.ci/run` runs the ci size
 * beside the install matrix, and `npm run test:history` runs the long one.
 */

const size = historySize();
const { seed, given } = historySeed();
const rerun = rerunCommand(seed, size.name);

/** The failure message: what was violated, the first violation of each invariant, and how to re-run. */
function failure(target: string, reports: InvariantReport[], faults: InjectedFault[]): string | undefined {
  const failed = reports.filter((report) => report.violations.length > 0);
  const faultErrors = faults.filter((fault) => fault.error);
  if (failed.length === 0 && faultErrors.length === 0) return undefined;
  const violated = failed.map((report) => `invariant ${report.id} (${report.violations.length})`);
  return [
    `seed ${seed} on ${target}: ${violated.join(', ') || 'no invariant'} violated` +
      (faultErrors.length > 0 ? `; ${faultErrors.length} faults went wrong` : ''),
    ...failed.map((report) => `invariant ${report.id}: ${report.violations[0]}`),
    ...faultErrors.map((fault) => `fault ${fault.kind}: ${fault.error}`),
    `re-run this seed alone: ${rerun}`,
  ].join('\n');
}

describe(`the scheduler under faults: a seeded history, checked (HISTORY_SIZE=${size.name})`, () => {
  for (const { target, workloadMs } of size.runs) {
    const title = `${target}: 3 replicas, random calls and faults; 7 invariants over the whole history`;
    const skip = process.env.HISTORY_SIZE ? false : 'set HISTORY_SIZE=ci (about 3 minutes) or long to run it';
    it(title, { timeout: size.timeoutMs, skip }, async (t) => {
      const log = (line: string) => console.log(`[history] ${line}`);
      log(`seed ${seed} (${given ? 'HISTORY_SEED' : 'derived from the time'}); re-run it alone: ${rerun}`);
      const run = await runHistory({ seed, target, workloadMs, log });
      const reports = checkHistory(run.history);
      // HISTORY_DUMP=<file>: the whole history and the replicas' logs, to look into a failing seed.
      if (process.env.HISTORY_DUMP)
        writeFileSync(`${process.env.HISTORY_DUMP}.${target}.json`, JSON.stringify({ seed, reports, ...run }));
      for (const line of summarize(run, seed, reports)) t.diagnostic(line);
      const message = failure(target, reports, run.faults);
      if (message) assert.fail(message);
    });
  }
});
