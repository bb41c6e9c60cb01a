import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { afterEach, describe, it, type TestContext } from 'node:test';
import { ReplicaGroup } from '../../harness/replica-process';
import { pollUntil, sleep } from '../../harness/wait';
import { at, gaps, localTime } from '../cron/local-time';
import type { ReplicaConfig, ReplicaTaskSpec, RunStartEvent } from '../replicas/replica-config';
import { assertNothingVanished, duplicateStarts, redisTimeMs, replica, starts } from '../replicas/replica-scenario';
import { HISTORY_LENGTH, SchedulerObserver } from '../replicas/scheduler-observer';
import { FAKETIME_ENV, FakeTimeRedisServer, faketimeSpec } from './faketime-redis';

/*
 * Test audit (issue 17), guarantee 7 of SCHEDULER.md with real replicas: in America/New_York, `30 2 * * *` runs
 * once on the spring-forward day and once on the fall-back day, and `* * * * *` neither stalls nor spins across
 * either transition. The scheduler's clock is Redis TIME, so redis-server itself runs under libfaketime (see
 * faketime-redis.ts), from shortly before each 2027 transition and 120 times faster than real time; the two
 * replicas run under faketime too, at the same fake time and speed (their monotonic clocks, which time their
 * sleeps and leases, stay real). libfaketime divides every sleep by the speed-up, so a replica polls once a real
 * second (its event loop would spin on shorter timers): a fire is claimed up to two fake minutes late. Leases and
 * the misfire grace are an hour of fake time, so that the speed-up alone never makes a fire a misfire or a lease
 * expire; fires are not claimed ahead (a look-ahead is timed on the real clock). `* * * * *` allows overlap, so
 * that every fire is a run.
 *
 * 2027-03-14: 02:00 EST (07:00Z) → 03:00 EDT. 2027-11-07: 02:00 EDT (06:00Z) → 01:00 EST.
 */

const NS = 'dst';
const NEW_YORK = 'America/New_York';
/** Fake seconds per real second, for Redis and the replicas. */
const SPEED = 120;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const MODULE: ReplicaConfig['module'] = {
  leaseMs: HOUR,
  pollIntervalMs: 1_000,
  lookAheadMs: 0,
  historyLength: HISTORY_LENGTH,
};
const ON_TIME_FOR_AN_HOUR = { timeZone: NEW_YORK, misfireGraceMs: HOUR };
const EVERY_MINUTE: ReplicaTaskSpec = {
  name: 'every-minute',
  cron: '* * * * *',
  options: { ...ON_TIME_FOR_AN_HOUR, overlap: 'allow' },
  durationMs: 5,
};
const AT_0230: ReplicaTaskSpec = { name: 'at-0230', cron: '30 2 * * *', options: ON_TIME_FOR_AN_HOUR, durationMs: 5 };
const AT_0130: ReplicaTaskSpec = { name: 'at-0130', cron: '30 1 * * *', options: ON_TIME_FOR_AN_HOUR, durationMs: 5 };

interface Scenario {
  /** Redis's fake clock when it starts (UTC). */
  redisStart: string;
  /** The replicas must be up by this fake time (the first fire looked at comes after it). */
  readyBy: string;
  /** Fake time the scenario runs until. */
  until: string;
  tasks: ReplicaTaskSpec[];
}

/** Every whole minute in [fromMs, toMs]. */
function everyMinute(fromMs: number, toMs: number): number[] {
  const fires: number[] = [];
  for (let t = Math.ceil(fromMs / MINUTE) * MINUTE; t <= toMs; t += MINUTE) fires.push(t);
  return fires;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ny = (ms: number) => localTime(ms, NEW_YORK);

describe('replicas across the 2027 DST transitions of America/New_York (Redis and replicas under faketime)', () => {
  const group = new ReplicaGroup();
  let redis: FakeTimeRedisServer | undefined;
  let raw: Redis | undefined;
  let observer: SchedulerObserver | undefined;

  afterEach(async () => {
    await group.stopAll();
    await observer?.close();
    raw?.disconnect();
    await redis?.dispose();
    observer = undefined;
    raw = undefined;
    redis = undefined;
  });

  /** Runs the scenario; returns the first attempts started, by task, oldest first. */
  async function run(t: TestContext, scenario: Scenario): Promise<Map<string, RunStartEvent[]>> {
    redis = await FakeTimeRedisServer.start(at(scenario.redisStart), SPEED);
    raw = new Redis(redis.port, redis.host);
    const started = await redisTimeMs(raw);
    assert.ok(
      Math.abs(started - at(scenario.redisStart)) < 5 * MINUTE,
      `Redis's clock is not faked: ${iso(started)}, not about ${scenario.redisStart}`,
    );
    observer = await SchedulerObserver.start({ redis: redis.url }, NS);
    // The replicas' clocks: Redis's fake time now, same speed.
    const fakeNow = faketimeSpec(await redisTimeMs(raw), SPEED);
    const config = (instanceId: string): ReplicaConfig => ({
      instanceId,
      namespace: NS,
      redis: redis!.url,
      module: MODULE,
      tasks: scenario.tasks,
    });
    await group.start(
      ...['replica-1', 'replica-2'].map((id) => {
        const options = replica(config(id), fakeNow);
        return { ...options, env: { ...options.env, ...FAKETIME_ENV } };
      }),
    );
    const upAt = await redisTimeMs(raw);
    assert.ok(
      upAt < at(scenario.readyBy),
      `the replicas were up at ${iso(upAt)} (fake), after ${scenario.readyBy}: the machine is too slow for this speed-up`,
    );

    const until = at(scenario.until);
    await pollUntil(`Redis's fake clock to reach ${scenario.until}`, (until - upAt) / SPEED + 20_000, async () => {
      const now = await redisTimeMs(raw!);
      return now >= until ? now : `fake time ${iso(now)}`;
    });
    // A fire just before `until` is started and recorded by now (a poll is a real second, two fake minutes).
    await sleep(3_000);
    const byTask = new Map<string, RunStartEvent[]>();
    for (const task of scenario.tasks) {
      const events = starts(group, task.name);
      assert.deepEqual(duplicateStarts(events), [], `${task.name}: a fire started twice`);
      const early = events.filter((e) => e.redisNow === null || e.redisNow < e.scheduledAt);
      assert.deepEqual(early, [], `${task.name}: started before its fire time by Redis TIME`);
      byTask.set(
        task.name,
        events.filter((e) => e.attempt === 1).sort((a, b) => a.scheduledAt - b.scheduledAt),
      );
    }
    t.diagnostic(
      `figures: replicas up at ${iso(upAt)} (fake, Redis started at ${scenario.redisStart}); ` +
        scenario.tasks.map((task) => `${task.name}: ${byTask.get(task.name)!.length} runs`).join(', '),
    );
    return byTask;
  }

  /** The once-a-day task ran exactly at `fires` (UTC) within the scenario, and its next fire is `next`. */
  async function assertDaily(
    byTask: Map<string, RunStartEvent[]>,
    task: string,
    fires: string[],
    labels: string[],
    next: string,
  ): Promise<void> {
    const ran = byTask.get(task)!.map((e) => e.scheduledAt);
    assert.deepEqual(
      ran.map(iso),
      fires.map((fire) => iso(at(fire))),
      `${task} ran at ${ran.map(ny).join(', ')}`,
    );
    assert.deepEqual(ran.map(ny), labels);
    const history = (await observer!.runs(task)).filter((entry) => entry.attempt === 1);
    assert.deepEqual(
      history.map((entry) => [iso(entry.scheduledAt.getTime()), entry.status]),
      fires.map((fire) => [iso(at(fire)), 'success']),
      `${task}: its history`,
    );
    assert.equal((await observer!.task(task)).nextRunAt?.toISOString(), iso(at(next)), `${task}: its next fire`);
  }

  /** `* * * * *` ran every whole minute from `readyBy` to `until`, once each, 60 s apart, each recorded a success. */
  async function assertEveryMinute(byTask: Map<string, RunStartEvent[]>, scenario: Scenario): Promise<number[]> {
    const expected = everyMinute(at(scenario.readyBy), at(scenario.until));
    const ran = byTask
      .get(EVERY_MINUTE.name)!
      .map((e) => e.scheduledAt)
      .filter((fire) => fire >= expected[0] && fire <= expected[expected.length - 1]);
    const missing = expected.filter((fire) => !ran.includes(fire)).map(ny);
    const extra = ran.filter((fire) => !expected.includes(fire)).map(ny);
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      'every minute runs once: none left out, none extra',
    );
    assert.ok(
      gaps(ran).every((gap) => gap === MINUTE),
      'consecutive fires are 60 s apart',
    );
    const history = (await observer!.runs(EVERY_MINUTE.name)).filter(
      (entry) => entry.scheduledAt.getTime() >= expected[0] && entry.scheduledAt.getTime() <= expected.at(-1)!,
    );
    const counts = assertNothingVanished(EVERY_MINUTE.name, history, expected);
    assert.equal(counts.ran, expected.length, 'every fire ran');
    return ran;
  }

  it('spring forward (2027-03-14): 30 2 * * * runs once, at 03:00 EDT; * * * * * goes from 01:59 EST to 03:00 EDT', async (t) => {
    const scenario: Scenario = {
      redisStart: '2027-03-14T06:30:00Z',
      readyBy: '2027-03-14T06:50:00Z',
      until: '2027-03-14T07:20:30Z',
      tasks: [EVERY_MINUTE, AT_0230],
    };
    const byTask = await run(t, scenario);
    const ran = await assertEveryMinute(byTask, scenario);
    const labels = ran.map(ny);
    const before = labels.indexOf('2027-03-14 01:59:00 EST');
    assert.ok(before >= 0, `01:59 EST ran: ${labels.join(', ')}`);
    assert.equal(labels[before + 1], '2027-03-14 03:00:00 EDT', 'the minute after 01:59 EST is 03:00 EDT');
    assert.equal(labels.filter((label) => label.slice(11, 13) === '02').length, 0, 'no 02:xx (it does not exist)');
    // 02:30 does not exist that day: the first instant after the gap, 03:00 EDT; the next day at 02:30 EDT.
    await assertDaily(
      byTask,
      AT_0230.name,
      ['2027-03-14T07:00:00Z'],
      ['2027-03-14 03:00:00 EDT'],
      '2027-03-15T06:30:00Z',
    );
  });

  it('fall back (2027-11-07): 30 2 * * * runs once (02:30 EST), 30 1 * * * once (01:30 EDT); * * * * * runs 01:xx twice', async (t) => {
    const scenario: Scenario = {
      redisStart: '2027-11-07T05:10:00Z',
      readyBy: '2027-11-07T05:25:00Z',
      until: '2027-11-07T07:35:30Z',
      tasks: [EVERY_MINUTE, AT_0230, AT_0130],
    };
    const byTask = await run(t, scenario);
    const ran = await assertEveryMinute(byTask, scenario);
    const labels = ran.map(ny);
    const before = labels.indexOf('2027-11-07 01:59:00 EDT');
    assert.ok(before >= 0, `01:59 EDT ran: ${labels.join(', ')}`);
    assert.equal(labels[before + 1], '2027-11-07 01:00:00 EST', 'the minute after 01:59 EDT is 01:00 EST');
    assert.deepEqual(
      labels.filter((label) => label.slice(11, 19) === '01:30:00'),
      ['2027-11-07 01:30:00 EDT', '2027-11-07 01:30:00 EST'],
      'the local minute 01:30 runs at both of its instants',
    );
    await assertDaily(
      byTask,
      AT_0230.name,
      ['2027-11-07T07:30:00Z'],
      ['2027-11-07 02:30:00 EST'],
      '2027-11-08T07:30:00Z',
    );
    // 01:30 comes twice that day: the first (EDT) runs, the second (EST, 06:30Z) does not.
    await assertDaily(
      byTask,
      AT_0130.name,
      ['2027-11-07T05:30:00Z'],
      ['2027-11-07 01:30:00 EDT'],
      '2027-11-08T06:30:00Z',
    );
  });
});
