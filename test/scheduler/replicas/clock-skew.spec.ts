import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaProcess } from '../../harness/replica-process';
import { sleep } from '../../harness/wait';
import {
  assertNothingVanished,
  duplicateStarts,
  everySecond,
  formatLag,
  redisTimeMs,
  replica,
  spread,
  startLag,
  starts,
} from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * Guarantee 2 (Redis is the clock): replicas under `faketime -f '+40s'` and `'-40s'` run an every-second
 * task, first each alone (so each must do the work), then beside a replica with the right clock. No
 * handler may start before its fire time by Redis TIME, none twice, none left out.
 */

const NS = 'skew';

describe('replicas: a clock 40 s ahead or behind (standalone)', () => {
  const suite = useStandaloneReplicas(NS);
  const { group } = suite;
  const config = (instanceId: string) =>
    suite.config(instanceId, [{ name: 'tick', cron: '* * * * * *', durationMs: 20 }]);

  /** Waits until `process` has started `count` runs of its own. */
  const runsOf = (process: ReplicaProcess, count: number) =>
    process.waitUntil(`${count} runs on ${process.name}`, 15_000, () =>
      process.eventsOf('start').length >= count ? true : undefined,
    );

  it('neither fires early nor twice, alone or beside a replica with the right clock', async (t) => {
    const [ahead] = await group.start(replica(config('ahead-40s'), '+40s'));
    await runsOf(ahead, 3);
    const [behind] = await group.start(replica(config('behind-40s'), '-40s'));
    await ahead.kill('SIGTERM');
    await runsOf(behind, 3);
    await group.start(replica(config('right-clock')), replica(config('ahead-40s-again'), '+40s'));
    await sleep(4_000);
    const end = await redisTimeMs(suite.raw);
    await sleep(1_000);

    const events = starts(group, 'tick');
    const firstFire = Math.min(...events.map((e) => e.scheduledAt));
    const early = events.filter((e) => e.redisNow === null || e.redisNow < e.scheduledAt);
    assert.deepEqual(early, [], 'a handler started before its fire time by Redis TIME');
    assert.deepEqual(duplicateStarts(events), [], 'a fire started twice');
    const runs = await suite.observer.runs('tick');
    for (const run of runs) {
      if (run.startedAt)
        assert.ok(run.startedAt >= run.scheduledAt, `recorded as started before its fire: ${JSON.stringify(run)}`);
    }
    const fires = everySecond(firstFire, end);
    const counts = assertNothingVanished('tick', runs, fires);

    // The skew was real: each replica's own clock against Redis TIME at its handler starts.
    const offsets = new Map<string, number>();
    for (const e of events)
      if (e.redisNow !== null)
        offsets.set(
          e.replica,
          spread(events.filter((x) => x.replica === e.replica).map((x) => x.at - (x.redisNow ?? x.at))).p50,
        );
    assert.ok(
      Math.abs((offsets.get('ahead-40s') ?? 0) - 40_000) < 5_000,
      `the +40s replica's clock was off by ${offsets.get('ahead-40s')} ms`,
    );
    assert.ok(
      Math.abs((offsets.get('behind-40s') ?? 0) + 40_000) < 5_000,
      `the -40s replica's clock was off by ${offsets.get('behind-40s')} ms`,
    );
    const perReplica = [...offsets.keys()].map(
      (name) => `${name}:${events.filter((e) => e.replica === name).length} (clock ${offsets.get(name)} ms)`,
    );
    t.diagnostic(
      `figures: fires=${fires.length} ran=${counts.ran} skipped=${counts.skipped} missed=${counts.missed} duplicates=0 early=0 ` +
        `lag ${formatLag(startLag(events))}; runs per replica ${perReplica.join(', ')}`,
    );
  });
});
