import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { CronSchedule } from '../../../lib/scheduler/cron/cron-schedule';
import { at, gaps, localDate, localTime } from './local-time';

/*
 * Fire times across DST transitions, on fixed dates (no waiting, no clock).
 * America/New_York: 2025-03-09 and 2026-03-08 spring forward at 02:00 EST (07:00Z) to 03:00 EDT;
 * 2025-11-02 and 2026-11-01 fall back at 02:00 EDT (06:00Z) to 01:00 EST, so 01:00-01:59 occurs twice.
 * Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
 */

const NEW_YORK = 'America/New_York';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every fire in (from, to], by walking `nextAfter` from fire to fire (the way the runtime advances a task). */
function walk(schedule: CronSchedule, fromMs: number, toMs: number): number[] {
  const fires: number[] = [];
  for (let fire = schedule.nextAfter(fromMs); fire !== null && fire <= toMs; fire = schedule.nextAfter(fire)) {
    assert.ok(fires.length < 100_000, 'the walk does not end');
    fires.push(fire);
  }
  return fires;
}

/** The walk, checked against `firesBetween` over the same range, shown as local times in the test output. */
function firesOf(cron: string, timeZone: string, fromIso: string, toIso: string): number[] {
  const schedule = CronSchedule.parse(cron, timeZone);
  const fires = walk(schedule, at(fromIso), at(toIso));
  assert.deepEqual(schedule.firesBetween(at(fromIso), at(toIso), 100_000), { fires, truncated: false });
  return fires;
}

function show(t: TestContext, fires: number[], timeZone: string): void {
  t.diagnostic(fires.map((fire) => `${new Date(fire).toISOString()} = ${localTime(fire, timeZone)}`).join(', '));
}

function iso(fires: number[]): string[] {
  return fires.map((fire) => new Date(fire).toISOString());
}

function onLocalDate(fires: number[], timeZone: string, date: string): number[] {
  return fires.filter((fire) => localDate(fire, timeZone) === date);
}

describe('CronSchedule across DST: fixed-time expressions fire once per day', () => {
  it('30 2 * * * in America/New_York fires once on 2026-03-08 (spring forward), at 03:00 EDT, the first instant after the gap', (t) => {
    const fires = firesOf('30 2 * * *', NEW_YORK, '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z');
    show(t, fires, NEW_YORK);
    assert.deepEqual(iso(fires), [
      '2026-03-06T07:30:00.000Z', // 02:30 EST
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 02:30 does not exist: 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
    assert.deepEqual(iso(onLocalDate(fires, NEW_YORK, '2026-03-08')), ['2026-03-08T07:00:00.000Z']);
    assert.equal(localTime(fires[2], NEW_YORK), '2026-03-08 03:00:00 EDT');
  });

  it('30 2 * * * in America/New_York fires once on 2026-11-01 (fall back), at 02:30 EST', (t) => {
    const fires = firesOf('30 2 * * *', NEW_YORK, '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z');
    show(t, fires, NEW_YORK);
    assert.deepEqual(iso(fires), [
      '2026-10-30T06:30:00.000Z',
      '2026-10-31T06:30:00.000Z',
      '2026-11-01T07:30:00.000Z', // 02:30 EST
      '2026-11-02T07:30:00.000Z',
    ]);
    assert.equal(onLocalDate(fires, NEW_YORK, '2026-11-01').length, 1);
  });

  it('30 1 * * * in America/New_York fires once on 2026-11-01 although 01:30 occurs twice: at its first occurrence (EDT)', (t) => {
    const fires = firesOf('30 1 * * *', NEW_YORK, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z');
    show(t, fires, NEW_YORK);
    assert.deepEqual(iso(fires), [
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not fire
      '2026-11-02T06:30:00.000Z',
    ]);
    assert.equal(localTime(fires[1], NEW_YORK), '2026-11-01 01:30:00 EDT');
    // A replica looking from inside the second pass (01:10 EST) does not fire 01:30 EST either.
    assert.equal(
      CronSchedule.parse('30 1 * * *', NEW_YORK).nextAfter(at('2026-11-01T06:10:00Z')),
      at('2026-11-02T06:30:00Z'),
    );
  });

  it('the same on the 2025 transitions: 30 2 * * * once on 2025-03-09 (03:00 EDT), 30 1 * * * once on 2025-11-02 (EDT)', (t) => {
    const spring = firesOf('30 2 * * *', NEW_YORK, '2025-03-08T00:00:00Z', '2025-03-11T00:00:00Z');
    const fall = firesOf('30 1 * * *', NEW_YORK, '2025-11-01T00:00:00Z', '2025-11-04T00:00:00Z');
    show(t, [...spring, ...fall], NEW_YORK);
    assert.deepEqual(iso(spring), ['2025-03-08T07:30:00.000Z', '2025-03-09T07:00:00.000Z', '2025-03-10T06:30:00.000Z']);
    assert.deepEqual(iso(fall), ['2025-11-01T05:30:00.000Z', '2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z']);
    assert.equal(onLocalDate(spring, NEW_YORK, '2025-03-09').length, 1);
    assert.equal(onLocalDate(fall, NEW_YORK, '2025-11-02').length, 1);
  });

  it('lists of hours are fixed-time too: 0 1,13 * * * fires twice on the fall-back day, 0 2,3 * * * once at 03:00 on the spring-forward day', (t) => {
    const fall = firesOf('0 1,13 * * *', NEW_YORK, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z');
    const spring = firesOf('0 2,3 * * *', NEW_YORK, '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z');
    show(t, [...fall, ...spring], NEW_YORK);
    assert.deepEqual(iso(fall), ['2026-11-01T05:00:00.000Z', '2026-11-01T18:00:00.000Z']);
    // 02:00 does not exist and moves to 03:00, which fires anyway: one fire, not two.
    assert.deepEqual(iso(spring), ['2026-03-08T07:00:00.000Z']);
  });

  it('0 0 * * * in America/New_York: one fire per local midnight, 23 h apart across spring forward, 25 h across fall back', (t) => {
    const spring = firesOf('0 0 * * *', NEW_YORK, '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z');
    const fall = firesOf('0 0 * * *', NEW_YORK, '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z');
    show(t, [...spring, ...fall], NEW_YORK);
    for (const fire of [...spring, ...fall]) assert.match(localTime(fire, NEW_YORK), / 00:00:00 E[SD]T$/);
    assert.deepEqual(
      spring.map((fire) => localDate(fire, NEW_YORK)),
      ['2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'],
    );
    assert.deepEqual(gaps(spring), [24 * HOUR, 24 * HOUR, 23 * HOUR, 24 * HOUR]);
    assert.deepEqual(
      fall.map((fire) => localDate(fire, NEW_YORK)),
      ['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02', '2026-11-03'],
    );
    assert.deepEqual(gaps(fall), [24 * HOUR, 24 * HOUR, 25 * HOUR, 24 * HOUR]);
  });

  it('0 0 * * * in America/Santiago, whose midnight does not exist on 2026-09-06: fires at 01:00 that day, once', (t) => {
    const fires = firesOf('0 0 * * *', 'America/Santiago', '2026-09-04T00:00:00Z', '2026-09-08T00:00:00Z');
    show(t, fires, 'America/Santiago');
    assert.deepEqual(iso(fires), [
      '2026-09-04T04:00:00.000Z',
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z', // 01:00 -03, the first instant after the gap
      '2026-09-07T03:00:00.000Z',
    ]);
  });

  it('0 9 * * 1-5 in Europe/Berlin fires at 09:00 local on weekdays only, across both 2026 transitions', (t) => {
    const berlin = 'Europe/Berlin';
    const spring = firesOf('0 9 * * 1-5', berlin, '2026-03-22T00:00:00Z', '2026-04-05T00:00:00Z');
    const fall = firesOf('0 9 * * 1-5', berlin, '2026-10-18T00:00:00Z', '2026-11-01T00:00:00Z');
    show(t, [...spring, ...fall], berlin);
    assert.deepEqual(iso(spring), [
      ...['23', '24', '25', '26', '27'].map((day) => `2026-03-${day}T08:00:00.000Z`), // CET
      ...['30', '31'].map((day) => `2026-03-${day}T07:00:00.000Z`), // CEST
      ...['01', '02', '03'].map((day) => `2026-04-${day}T07:00:00.000Z`),
    ]);
    assert.deepEqual(iso(fall), [
      ...['19', '20', '21', '22', '23'].map((day) => `2026-10-${day}T07:00:00.000Z`), // CEST
      ...['26', '27', '28', '29', '30'].map((day) => `2026-10-${day}T08:00:00.000Z`), // CET
    ]);
    for (const fire of [...spring, ...fall]) assert.match(localTime(fire, berlin), / 09:00:00 /);
  });
});

describe('CronSchedule across DST: interval expressions fire at every real instant that matches', () => {
  // Six hours of real time around each New York transition.
  const transitions = [
    { name: 'spring forward 2026-03-08', from: '2026-03-08T04:00:00Z', to: '2026-03-08T10:00:00Z' },
    { name: 'fall back 2026-11-01', from: '2026-11-01T03:00:00Z', to: '2026-11-01T09:00:00Z' },
    { name: 'spring forward 2025-03-09', from: '2025-03-09T04:00:00Z', to: '2025-03-09T10:00:00Z' },
    { name: 'fall back 2025-11-02', from: '2025-11-02T03:00:00Z', to: '2025-11-02T09:00:00Z' },
  ];

  for (const { name, from, to } of transitions) {
    it(`* * * * * in America/New_York, ${name}: every real minute fires once, 60 s apart, strictly increasing`, (t) => {
      const fires = firesOf('* * * * *', NEW_YORK, from, to);
      assert.equal(fires.length, 6 * 60);
      assert.equal(fires[0], at(from) + MINUTE);
      assert.ok(
        gaps(fires).every((gap) => gap === MINUTE),
        'every gap is exactly 60 s',
      );
      const labels = fires.map((fire) => localTime(fire, NEW_YORK));
      const around = labels.findIndex((label) => / 01:59:00 /.test(label));
      t.diagnostic(`${labels.length} fires; ${labels.slice(around, around + 3).join(' -> ')}`);
      const localHour = (label: string) => label.slice(11, 13);
      if (name.startsWith('spring')) {
        // 02:00-02:59 local does not exist: 01:59 EST is followed by 03:00 EDT.
        assert.equal(labels.filter((label) => localHour(label) === '02').length, 0);
        assert.match(labels[around], / 01:59:00 EST$/);
        assert.match(labels[around + 1], / 03:00:00 EDT$/);
      } else {
        // 01:00-01:59 local occurs twice: 120 fires in it, each local minute at two instants an hour apart.
        const repeated = fires.filter((fire) => localHour(localTime(fire, NEW_YORK)) === '01');
        assert.equal(repeated.length, 120);
        assert.equal(new Set(repeated.map((fire) => localTime(fire, NEW_YORK).slice(0, 19))).size, 60);
        assert.deepEqual(gaps(repeated.filter((fire) => / 01:30:00 /.test(localTime(fire, NEW_YORK)))), [HOUR]);
        assert.match(labels[around], / 01:59:00 EDT$/);
        assert.match(labels[around + 1], / 01:00:00 EST$/);
      }
    });
  }

  it('* * * * * neither stalls nor skips from any instant around the 2026 transitions: the next fire is the next whole minute', () => {
    const schedule = CronSchedule.parse('* * * * *', NEW_YORK);
    for (const window of ['2026-03-08T06:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z']) {
      for (let after = at(window) - 500; after < at(window) + HOUR; after += 7_001) {
        assert.equal(schedule.nextAfter(after), Math.floor(after / MINUTE) * MINUTE + MINUTE, `after ${after}`);
      }
    }
  });

  it('0 * * * * in America/New_York: every real hour once; local 02:00 skipped in spring, local 01:00 fired twice in fall', (t) => {
    const spring = firesOf('0 * * * *', NEW_YORK, '2026-03-08T04:00:00Z', '2026-03-08T10:00:00Z');
    const fall = firesOf('0 * * * *', NEW_YORK, '2026-11-01T03:00:00Z', '2026-11-01T09:00:00Z');
    show(t, [...spring, ...fall], NEW_YORK);
    assert.ok([...gaps(spring), ...gaps(fall)].every((gap) => gap === HOUR));
    const hours = (fires: number[]) =>
      fires.map((fire) => localTime(fire, NEW_YORK).slice(11, 13) + localTime(fire, NEW_YORK).slice(-4));
    assert.deepEqual(hours(spring), ['00 EST', '01 EST', '03 EDT', '04 EDT', '05 EDT', '06 EDT']);
    assert.deepEqual(hours(fall), ['00 EDT', '01 EDT', '01 EST', '02 EST', '03 EST', '04 EST']);
  });

  it('*/15 * * * * * (6 fields) in America/New_York: every 15 s of real time across both 2026 transitions', () => {
    for (const [from, to] of [
      ['2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z'],
      ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'],
    ]) {
      const fires = firesOf('*/15 * * * * *', NEW_YORK, from, to);
      assert.equal(fires.length, 240);
      assert.ok(gaps(fires).every((gap) => gap === 15_000));
      assert.equal(fires.at(-1), at(to));
    }
  });

  it('an interval expression in the repeated hour fires on both passes: */30 1 * * * from 01:10 EST fires at 01:30 EST', () => {
    const schedule = CronSchedule.parse('*/30 1 * * *', NEW_YORK);
    assert.deepEqual(iso(schedule.firesBetween(at('2026-11-01T04:00:00Z'), at('2026-11-01T12:00:00Z'), 10).fires), [
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T06:30:00.000Z', // 01:30 EST
    ]);
    assert.equal(schedule.nextAfter(at('2026-11-01T06:10:00Z')), at('2026-11-01T06:30:00Z'));
  });
});
