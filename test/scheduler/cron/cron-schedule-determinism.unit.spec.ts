import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fireTimes } from './fixtures/print-fire-times';

const FIXTURE = join(__dirname, 'fixtures', 'print-fire-times.js');
const YEAR = 365 * 24 * 3600 * 1000;

interface Printed {
  environment: { localOffsetMinutes: number; clock: string };
  fireTimes: Record<string, unknown>;
}

/** Runs the fixture in a child process whose local time zone is `tz` and whose clock is off by `skewMs`. */
function printedBy(tz: string, skewMs: number): Printed {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: tz, CLOCK_SKEW_MS: String(skewMs) };
  delete env.NODE_TEST_CONTEXT; // the child is a plain script, not a test file
  const child = spawnSync(process.execPath, [FIXTURE], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as Printed;
}

describe('CronSchedule is deterministic', () => {
  const here = fireTimes();

  const processes: Array<[tz: string, skewMs: number, offsetMinutes: number]> = [
    ['Australia/Lord_Howe', 40 * YEAR, -630], // +10:30 in July, 30-minute DST
    ['America/St_Johns', -25 * YEAR, 150], // -02:30 in July
    ['Asia/Kathmandu', 40_000, -345], // +05:45, clock 40 s ahead
    ['America/New_York', -40_000, 240], // the zone of the schedules under test, clock 40 s behind
  ];

  for (const [tz, skewMs, offsetMinutes] of processes) {
    it(`gives the same fire times and jitter in a process with TZ=${tz} and a clock off by ${skewMs} ms`, () => {
      const before = Date.now();
      const { environment, fireTimes: there } = printedBy(tz, skewMs);
      // The child really ran in another zone with another clock: else this test proves nothing.
      assert.equal(environment.localOffsetMinutes, offsetMinutes);
      const skewSeen = Date.parse(environment.clock) - before;
      assert.ok(Math.abs(skewSeen - skewMs) < 20_000, `clock off by ${skewSeen} ms`);
      assert.deepEqual(there, here);
    });
  }

  it('covers both DST transitions of America/New_York in what it compares', () => {
    const fallBack = here['* * * * * @ America/New_York'] as { fires: string[] };
    assert.ok(fallBack.fires.length > 0);
    assert.ok(JSON.stringify(here).includes('2026-03-08T07:00:00.000Z'), '30 2 * * * on the spring-forward day');
  });
});
