import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { StatefulExecutorService } from '../../../lib';
import { sleep } from '../../harness/wait';
import { describeOnTargets, RedisTarget } from '../../harness/redis-target';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';
import { CallWindow, canonical, describeOp, execute, Inconclusive, Op, SpecModel } from './spec-model';
import { compareStorage, readStorage } from './storage-check';

/*
 * Model-based race test: random sequences of every operation, sent by three apps with their own
 * connections, some steps as 2-3 concurrent calls; every reply and the final content of Redis
 * are checked against the in-memory model of SPEC.md (spec-model.ts). Concurrent calls pass
 * when some order of them explains every reply (linearizability); all such orders are kept as
 * candidate states until later replies tell them apart.
 *
 * Sizes: PROPERTY_RUNS sequences (default 300, nightly 10000) with TTLs that cannot expire within
 * a run, and PROPERTY_TTL_RUNS runs (default 4, nightly 100) of 12 sequences each, in parallel,
 * with 1-second TTLs and linger windows and pauses that let them expire. PROPERTY_SEED replays.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const TTL_RUNS = Number(process.env.PROPERTY_TTL_RUNS ?? 4);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const SEQUENCES_PER_TTL_RUN = 12;
/** Longer than the 1 s TTLs, so that every link written in a phase has expired when the next starts. */
const PAUSE_BETWEEN_PHASES_MS = 1_300;
/** Candidate states kept at most; beyond that a run is dropped as unjudgeable (never seen so far). */
const MAX_CANDIDATES = 256;

const POD_WRITES = new Set<Op['kind']>(['setServiceState', 'setPodWeight', 'removePod']);

interface Call {
  client: number;
  op: Op;
}
type Step = Call[];

function opArbitrary(ttls: number[], lingers: number[]): fc.Arbitrary<Op> {
  const uid = fc.constantFrom('u0', 'u1', 'u2');
  const svc = fc.constantFrom('a', 'b');
  const pod = fc.integer({ min: 0, max: 3 });
  const ttl = fc.constantFrom(...ttls);
  const linger = fc.constantFrom(...lingers);
  const state = fc.constantFrom('running', 'draining', 'stopped');
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('setLinkedPod', 'trySetLinkedPod', 'setLinkedPodIfAbsent'), uid, svc, pod, ttl }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('computeLinkedPodIfAbsent'),
        uid,
        svc,
        ttl,
        states: fc.option(fc.subarray(['running', 'draining'], { minLength: 1 }), { nil: undefined }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('getLinkedPod', 'getLinkedPodIfPersist'), uid, svc }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('batchGetLinkedPod'), uids: fc.array(fc.constantFrom('u0', 'u1', 'u2', 'u3'), { maxLength: 5 }), svc }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeLinkedPod'), uid, svc, linger }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeLinkedPodWithId'), uid, svc, linger, pod }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('getLinkService'), uid }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('setServiceState'), svc, pod, state }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('getServiceState'), svc }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('setWorkloadState'), svc, state }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('getWorkloadState'), svcs: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('setPodWeight'), svc, pod, weight: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('removePod'), svc, pod }) },
  ) as fc.Arbitrary<Op>;
}

/**
 * computeLinkedPodIfAbsent picks on the service's slot and links on the uid's: SPEC makes it atomic
 * per uid, not against pod writes or other uids' placements (the weight is an estimate). Concurrent
 * steps therefore never mix it with those; everything else may race freely.
 */
function linearizableGroup(step: Step): boolean {
  const computes = step.map((call) => call.op).filter((op) => op.kind === 'computeLinkedPodIfAbsent') as Array<Op & { uid: string; svc: string }>;
  if (computes.length === 0) return true;
  if (computes.some((op) => op.uid !== computes[0].uid || op.svc !== computes[0].svc)) return false;
  return !step.some((call) => POD_WRITES.has(call.op.kind) && (call.op as { svc: string }).svc === computes[0].svc);
}

function stepsArbitrary(ttls: number[], lingers: number[], maxSteps: number): fc.Arbitrary<Step[]> {
  const call = fc.record({ client: fc.integer({ min: 0, max: 2 }), op: opArbitrary(ttls, lingers) });
  const single = call.map((c) => [c]);
  const concurrent = fc.array(call, { minLength: 2, maxLength: 3 }).filter(linearizableGroup);
  return fc.array(fc.oneof({ weight: 3, arbitrary: single }, { weight: 2, arbitrary: concurrent }), { minLength: 1, maxLength: maxSteps });
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((perm) => Array.from({ length: n }, (_, i) => [...perm.slice(0, i), n - 1, ...perm.slice(i)]));
}

interface Stats {
  sequences: number;
  calls: number;
  concurrentSteps: number;
  maxCandidates: number;
  inconclusive: number;
}

/**
 * Runs the steps on Redis and on the model side by side; throws on the first divergence.
 * Returns the candidate model states consistent with everything observed.
 */
async function runSteps(clients: StatefulExecutorService[], ns: string, steps: Step[], candidates: SpecModel[], stats: Stats): Promise<SpecModel[]> {
  for (const [index, step] of steps.entries()) {
    const observed = await Promise.all(
      step.map(async ({ client, op }) => {
        const start = Date.now();
        try {
          const reply = await execute(clients[client], ns, op);
          return { reply, window: { start, end: Date.now() } as CallWindow };
        } catch (error) {
          throw new Error(`step ${index}: ${describeOp(op)} on client ${client} failed: ${(error as Error).message}`, { cause: error });
        }
      }),
    );
    stats.calls += step.length;
    if (step.length > 1) stats.concurrentSteps++;
    const next = new Map<string, SpecModel>();
    for (const candidate of candidates) {
      for (const order of permutations(step.length)) {
        const model = candidate.clone();
        const explains = order.every((i) => canonical(model.apply(step[i].op, observed[i].window)) === canonical(observed[i].reply));
        if (explains) next.set(model.fingerprint(), model);
      }
    }
    if (next.size === 0) {
      const model = candidates[0].clone();
      const expected = step.map((call, i) => canonical(model.apply(call.op, observed[i].window)));
      throw new Error(
        `divergence at step ${index} of ${steps.length} (namespace ${ns}):\n` +
          step.map((call, i) => `  client ${call.client}: ${describeOp(call.op)} -> ${canonical(observed[i].reply)}, model (in this order): ${expected[i]}`).join('\n'),
      );
    }
    if (next.size > MAX_CANDIDATES) throw new Inconclusive(`${next.size} candidate states`);
    stats.maxCandidates = Math.max(stats.maxCandidates, next.size);
    candidates = [...next.values()];
  }
  return candidates;
}

async function assertStorage(target: RedisTarget, raw: Redis | Cluster, ns: string, candidates: SpecModel[], allowStaleFields: boolean): Promise<void> {
  const snapshot = await readStorage(target, raw, ns);
  const reasons = candidates.map((candidate) => compareStorage(ns, candidate.clone().expectedStorage(snapshot.window), snapshot, allowStaleFields));
  if (reasons.some((reason) => reason === undefined)) return;
  throw new Error(`Redis content diverges from the model (namespace ${ns}): ${reasons[0]}`);
}

describeOnTargets('model-based race test', (target) => {
  const apps: StatefulApp[] = [];
  let clients: StatefulExecutorService[];
  let raw: Redis | Cluster;
  let namespaces = 0;

  before(async () => {
    await target.start();
    for (let i = 0; i < 3; i++) apps.push(await startStatefulApp(target.moduleOptions()));
    clients = apps.map((app) => app.service);
    raw = target.rawClient();
  });

  after(async () => {
    raw?.disconnect();
    for (const app of apps) await app.close();
    await target.stop();
  });

  it(`${RUNS} random sequences from 3 clients, with concurrent steps, match the model (long TTLs)`, async (t) => {
    const stats: Stats = { sequences: 0, calls: 0, concurrentSteps: 0, maxCandidates: 0, inconclusive: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(stepsArbitrary([-1, -1, 600, 3600], [0, -1, -30, 600], 25), async (steps) => {
        const ns = `m${++namespaces}`;
        stats.sequences++;
        try {
          const candidates = await runSteps(clients, ns, steps, [new SpecModel()], stats);
          await assertStorage(target, raw, ns, candidates, false);
        } catch (error) {
          if (!(error instanceof Inconclusive)) throw error;
          stats.inconclusive++;
          fc.pre(false);
        }
      }),
      { numRuns: RUNS, seed: SEED, maxSkipsPerRun: 10 },
    );
    t.diagnostic(`${JSON.stringify(stats)} in ${Date.now() - started} ms`);
    assert.ok(stats.sequences >= RUNS);
  });

  it(`${TTL_RUNS} x ${SEQUENCES_PER_TTL_RUN} sequences with 1-second TTLs and linger windows, across expiry, match the model`, async (t) => {
    const stats: Stats = { sequences: 0, calls: 0, concurrentSteps: 0, maxCandidates: 0, inconclusive: 0 };
    const started = Date.now();
    const phases = fc.array(stepsArbitrary([-1, 1, 1, 600], [0, 1, 1, 600], 6), { minLength: 2, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(phases, { minLength: SEQUENCES_PER_TTL_RUN, maxLength: SEQUENCES_PER_TTL_RUN }), async (programs) => {
        await Promise.all(
          programs.map(async (program) => {
            const ns = `t${++namespaces}`;
            stats.sequences++;
            try {
              let candidates = [new SpecModel()];
              for (const [i, phase] of program.entries()) {
                if (i > 0) await sleep(PAUSE_BETWEEN_PHASES_MS);
                candidates = await runSteps(clients, ns, phase, candidates, stats);
                await assertStorage(target, raw, ns, candidates, true);
              }
              // Once every short TTL has run out, only persistent and long links may remain (rule 3).
              await sleep(PAUSE_BETWEEN_PHASES_MS);
              await assertStorage(target, raw, ns, candidates, true);
            } catch (error) {
              if (!(error instanceof Inconclusive)) {
                const phases = program.map((phase) => phase.map((step) => step.map((c) => `${c.client}:${describeOp(c.op)}`).join(' || ')).join('\n    '));
                throw new Error(`${(error as Error).message}\n  sequence of ${ns}, phase by phase:\n    ${phases.join('\n    -- pause --\n    ')}`, { cause: error });
              }
              stats.inconclusive++;
            }
          }),
        );
      }),
      // A run takes seconds: report the first failure as it is rather than shrink it for minutes.
      { numRuns: TTL_RUNS, seed: SEED, endOnFailure: true },
    );
    t.diagnostic(`${JSON.stringify(stats)} in ${Date.now() - started} ms`);
    assert.ok(stats.inconclusive <= stats.sequences / 4, `${stats.inconclusive} of ${stats.sequences} sequences could not be judged`);
  });
});
