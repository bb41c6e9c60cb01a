import fc from 'fast-check';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ErrorCode, NO_POD, StatefulError, StatefulExecutorService } from '../../../lib';
import { KeySchema } from '../../../lib/routing/keys/key-schema';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';

/*
 * Adversarial input: arbitrary strings (unicode, braces, colons, control characters, very long)
 * for namespace, uid and service, and arbitrary values for the numbers. Each call is either
 * refused with INVALID_PARAMETER naming the field, with nothing written, or round-trips exactly.
 * ADVERSARIAL_RUNS sets the size (default 150 per property; nightly e.g. 5000).
 */

const RUNS = Number(process.env.ADVERSARIAL_RUNS ?? 150);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const MAX_POD = 2 ** 31 - 1;

type Verdict = 'valid' | 'invalid' | 'either';

/*
 * SPEC.md's rules, written independently of lib/validation: names are non-empty strings of at
 * most N characters without braces or control characters; a namespace also without ':' or
 * whitespace. Where SPEC leaves room, either answer is fine but it must then round-trip:
 * a length counted in UTF-16 units or in code points, U+FEFF (whitespace to some definitions),
 * lone surrogates (which Redis cannot store as they are).
 */
function verdict(value: unknown, maxLength: number, isNamespace: boolean): Verdict {
  if (typeof value !== 'string' || value.length === 0) return 'invalid';
  const codePoints = [...value].length;
  if (codePoints > maxLength) return 'invalid';
  if (/[{}]/.test(value) || /\p{Cc}/u.test(value)) return 'invalid';
  if (isNamespace && (value.includes(':') || /\p{White_Space}/u.test(value))) return 'invalid';
  if (value.length > maxLength || !value.isWellFormed() || (isNamespace && value.includes('\ufeff'))) return 'either';
  return 'valid';
}

const combine = (verdicts: Verdict[]): Verdict =>
  verdicts.includes('invalid') ? 'invalid' : verdicts.includes('either') ? 'either' : 'valid';

/** Characters that matter to keys, parsers and Redis, plus a few ordinary ones. */
const NASTY = [
  '{',
  '}',
  ':',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\ufeff',
  '\u3000',
  'é',
  'ß',
  '😀',
  '👩‍👩‍👧',
  '\ud800',
  '\udfff',
  'lk',
  'state',
  'weight',
  'workload',
  'sf',
  '*',
  '?',
  '[',
  ']',
  '\\',
  '"',
  "'",
  '%',
  'a',
  'b',
  '0',
  '-',
];

function nameArbitrary(maxLength: number): fc.Arbitrary<unknown> {
  const around = (n: number) => fc.integer({ min: n - 2, max: n + 1 });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(fc.constantFrom(...NASTY), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
    },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
    {
      weight: 2,
      arbitrary: fc.string({ unit: fc.constantFrom('a', 'z', '-', '.', '_', '1'), minLength: 1, maxLength: 12 }),
    },
    // Right at the length limit, in one-unit and two-unit (astral) characters.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '😀', 'é'), around(maxLength)).map(([c, n]) => c.repeat(n)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: maxLength - 4, maxLength: maxLength + 40 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>('', undefined, null, 42, {}, ['a'], true) },
  );
}

const namespaceArbitrary = nameArbitrary(253);
const nameArbitrary512 = nameArbitrary(512);

/** Arbitrary unicode with what SPEC forbids taken out: mostly valid names, for round trips of strange but legal input. */
function legalLeaning(maxLength: number, isNamespace: boolean): fc.Arbitrary<string> {
  const forbidden = isNamespace ? /[{}:\p{Cc}\p{White_Space}\ufeff]/gu : /[{}\p{Cc}]/gu;
  return fc
    .oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: maxLength - 8, maxLength }),
    )
    .map((value) => value.replace(forbidden, '') || 'x');
}

/** Half the runs fully adversarial, half with names SPEC allows however odd. */
const triples = fc.oneof(
  fc.tuple(namespaceArbitrary, nameArbitrary512, nameArbitrary512),
  fc.tuple(legalLeaning(253, true), legalLeaning(512, false), legalLeaning(512, false)),
);

/** Values that are not a valid podId / persistSeconds / weight however they are read. */
const notAnInteger = fc.oneof(
  fc.double({ noInteger: true }),
  fc.constantFrom<unknown>(
    NaN,
    Infinity,
    -Infinity,
    '1',
    '0',
    '-1',
    '1e3',
    ' 7',
    '0x10',
    '',
    null,
    undefined,
    true,
    [],
    {},
    [1],
    1n,
    2n ** 40n,
  ),
  fc.integer().map(String),
);
const hugeInteger = fc.oneof(
  fc.integer({ min: MAX_POD + 1, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(2 ** 31, 2 ** 53, 2 ** 64, 1e300),
);
const negativeInteger = fc.integer({ min: -(2 ** 31), max: -1 });

async function refusal(action: () => Promise<unknown>): Promise<StatefulError | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof StatefulError, `not a StatefulError: ${String(error)}`);
    assert.equal(error.code, ErrorCode.INVALID_PARAMETER, error.message);
    return error;
  }
}

describeOnTargets('adversarial input', (target) => {
  const f = useTargetFixture(target);

  /** Every key, exactly as stored (through ioredis: the standalone target's redis-cli listing trims the output). */
  async function allKeys(): Promise<string[]> {
    return f.raw.isCluster ? f.target.keys() : (await f.raw.keys('*')).sort();
  }

  /** Empties Redis; on one node through the open connection (the target's own flush starts a redis-cli). */
  async function flush(): Promise<void> {
    if (f.raw.isCluster) await f.target.flush();
    else await f.raw.flushall();
  }

  async function assertNothingWritten(what: string): Promise<void> {
    const keys = await allKeys();
    assert.deepEqual(keys, [], `${what} wrote ${JSON.stringify(keys.slice(0, 5))}`);
  }

  it('arbitrary namespace / uid / service: refused with INVALID_PARAMETER and nothing written, or an exact round trip', async (t) => {
    const counts = { refused: 0, roundTrips: 0 };
    await fc.assert(
      fc.asyncProperty(triples, fc.integer({ min: 0, max: MAX_POD }), async ([ns, uid, svc], pod) => {
        await flush();
        const fields: Record<string, Verdict> = {
          namespace: verdict(ns, 253, true),
          uid: verdict(uid, 512, false),
          serviceName: verdict(svc, 512, false),
        };
        const expected = combine(Object.values(fields));
        const s: StatefulExecutorService = f.service;
        const anyS = s as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        const error = await refusal(() => anyS.setLinkedPod(ns, uid, svc, pod, -1));
        if (error) {
          assert.notEqual(expected, 'valid', `valid input refused: ${error.message}`);
          assert.ok(
            error.field && fields[error.field] !== 'valid',
            `refusal names ${error.field}, which is valid: ${error.message}`,
          );
          // The other writes that take the same names refuse them too.
          const others = [
            () => anyS.trySetLinkedPod(ns, uid, svc, pod, 60),
            () => anyS.computeLinkedPodIfAbsent(ns, uid, svc, -1),
            () => anyS.removeLinkedPod(ns, uid, svc, 60),
            // These take no uid: they refuse only what is wrong with the namespace or the service.
            ...(fields.namespace === 'invalid' || fields.serviceName === 'invalid'
              ? [() => anyS.setServiceState(ns, svc, pod, 'running'), () => anyS.setWorkloadState(ns, svc, 'x')]
              : []),
          ];
          for (const call of others) assert.ok(await refusal(call), 'another write accepted what setLinkedPod refused');
          await assertNothingWritten('a refused call');
          counts.refused++;
          return;
        }
        assert.notEqual(expected, 'invalid', `accepted ${JSON.stringify({ ns, uid, svc })} against SPEC`);
        const [n, u, v] = [ns as string, uid as string, svc as string];
        const hashKey = `sf:{${n}:lk:${u}}`;
        assert.equal(await s.getLinkedPod(n, u, v), pod);
        assert.equal(await f.otherService.getLinkedPodIfPersist(n, u, v), pod);
        assert.deepEqual(await s.getLinkService(n, u), { [v]: pod });
        assert.deepEqual(await s.batchGetLinkedPod(n, [u, u], v), { [pod]: [u] });
        // Byte for byte what another implementation reads and writes.
        assert.equal(await f.raw.get(`${hashKey}${v}`), String(pod));
        assert.deepEqual(await f.raw.hgetall(hashKey), { [v]: String(pod) });
        assert.deepEqual(await allKeys(), [hashKey, `${hashKey}${v}`].sort());
        await s.setServiceState(n, v, pod, 'running');
        assert.deepEqual(await s.getServiceState(n, v), { [pod]: 'running' });
        await s.setWorkloadState(n, v, 'stable');
        assert.deepEqual(await s.getWorkloadState(n, [v]), { [v]: 'stable' });
        assert.equal(await f.raw.get(`sf:{${n}:workload:${v}}`), 'stable');
        assert.equal(await s.removeLinkedPodWithId(n, u, v, 0, pod), true);
        assert.equal(await s.getLinkedPod(n, u, v), NO_POD);
        assert.deepEqual(
          (await allKeys()).filter((key) => key.startsWith(hashKey)),
          [],
        );
        counts.roundTrips++;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    t.diagnostic(JSON.stringify(counts));
    assert.ok(
      counts.refused > RUNS / 10 && counts.roundTrips > RUNS / 10,
      `unbalanced inputs: ${JSON.stringify(counts)}`,
    );
  });

  it('no two distinct valid (namespace, uid, service) triples share a key, in the key schema or in Redis', async () => {
    // Pieces chosen to imitate the key's own punctuation: a uid containing ':lk:' or a service
    // name looking like another uid's tail must still land on a key of its own.
    const piece = fc
      .array(fc.constantFrom('a', 'b', ':', 'lk', ':lk:', 'state', 'weight', 'workload', 'sf', '}a', 'é', ' '), {
        minLength: 1,
        maxLength: 4,
      })
      .map((p) => p.join(''));
    const triple = fc
      .record({ ns: piece, uid: piece, svc: piece })
      .filter(
        ({ ns, uid, svc }) =>
          verdict(ns, 253, true) === 'valid' &&
          verdict(uid, 512, false) === 'valid' &&
          verdict(svc, 512, false) === 'valid',
      );
    const keys = new KeySchema('sf');
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(triple, {
          minLength: 2,
          maxLength: 40,
          selector: ({ ns, uid, svc }) => `${ns}\u0000${uid}\u0000${svc}`,
        }),
        async (triples) => {
          // Every key the schema builds, with what it is for: two different purposes must never meet.
          const owners = new Map<string, string>();
          const claim = (key: string, owner: string) => {
            const previous = owners.get(key);
            assert.ok(
              previous === undefined || previous === owner,
              `${JSON.stringify(key)} is both ${previous} and ${owner}`,
            );
            owners.set(key, owner);
          };
          for (const { ns, uid, svc } of triples) {
            claim(keys.link(ns, uid, svc), `link ${JSON.stringify([ns, uid, svc])}`);
            claim(keys.uidLinks(ns, uid), `uid hash ${JSON.stringify([ns, uid])}`);
            claim(keys.podStates(ns, svc), `pod states ${JSON.stringify([ns, svc])}`);
            claim(keys.podWeights(ns, svc), `pod weights ${JSON.stringify([ns, svc])}`);
            claim(keys.workload(ns, svc), `workload ${JSON.stringify([ns, svc])}`);
          }
          // In Redis: each triple gets its own pod and reads back only its own.
          await flush();
          await Promise.all(triples.map(({ ns, uid, svc }, i) => f.service.setLinkedPod(ns, uid, svc, i, -1)));
          for (const [i, { ns, uid, svc }] of triples.entries()) {
            assert.equal(
              await f.otherService.getLinkedPod(ns, uid, svc),
              i,
              `triple ${JSON.stringify([ns, uid, svc])}`,
            );
            assert.equal((await f.otherService.getLinkService(ns, uid))[svc], i);
          }
        },
      ),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)), seed: SEED },
    );
  });

  it('podId: non-integers, negatives, NaN, huge numbers and numeric strings are refused naming podId; nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(notAnInteger, hugeInteger, negativeInteger), async (podId) => {
        const s = f.service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        for (const call of [
          () => s.setLinkedPod('ns', 'u', 'svc', podId, -1),
          () => s.trySetLinkedPod('ns', 'u', 'svc', podId, -1),
          () => s.setLinkedPodIfAbsent('ns', 'u', 'svc', podId, 60),
          () => s.removeLinkedPodWithId('ns', 'u', 'svc', 0, podId),
          () => s.setServiceState('ns', 'svc', podId, 'running'),
          () => s.setPodWeight('ns', 'svc', podId, 1),
          () => s.removePod('ns', 'svc', podId),
        ]) {
          const error = await refusal(call);
          assert.ok(error, `accepted podId ${String(podId)}`);
          assert.equal(error.field, 'podId', error.message);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await assertNothingWritten('refused podIds');
  });

  it('persistSeconds: anything but -1 or 1 ... 2^31-1 is refused by the set operations; non-integers and huge values by the removes', async () => {
    const s = f.service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const badForSet = fc.oneof(
      notAnInteger,
      hugeInteger,
      fc.integer({ min: -(2 ** 31), max: 0 }).filter((n) => n !== -1),
    );
    await fc.assert(
      fc.asyncProperty(badForSet, async (persistSeconds) => {
        for (const call of [
          () => s.setLinkedPod('ns', 'u', 'svc', 1, persistSeconds),
          () => s.trySetLinkedPod('ns', 'u', 'svc', 1, persistSeconds),
          () => s.setLinkedPodIfAbsent('ns', 'u', 'svc', 1, persistSeconds),
          () => s.computeLinkedPodIfAbsent('ns', 'u', 'svc', persistSeconds),
        ]) {
          const error = await refusal(call);
          assert.ok(error, `a set operation accepted persistSeconds ${String(persistSeconds)}`);
          assert.equal(error.field, 'persistSeconds', error.message);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(notAnInteger, hugeInteger), async (persistSeconds) => {
        for (const call of [
          () => s.removeLinkedPod('ns', 'u', 'svc', persistSeconds),
          () => s.removeLinkedPodWithId('ns', 'u', 'svc', persistSeconds, 1),
        ]) {
          const error = await refusal(call);
          assert.ok(error, `a remove accepted persistSeconds ${String(persistSeconds)}`);
          assert.equal(error.field, 'persistSeconds', error.message);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await assertNothingWritten('refused persistSeconds');
    // And the valid ones at the edges are accepted.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 2 ** 31 - 1 })),
        fc.integer({ min: 0, max: MAX_POD }),
        async (persistSeconds, podId) => {
          await f.service.setLinkedPod('edge', 'u', 'svc', podId, persistSeconds);
          assert.equal(await f.service.getLinkedPod('edge', 'u', 'svc'), podId);
          assert.equal((await f.raw.ttl('sf:{edge:lk:u}svc')) === -1, persistSeconds === -1);
        },
      ),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)), seed: SEED },
    );
  });

  it('weight: negatives, non-integers, NaN, unsafe and string numbers are refused naming weight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(notAnInteger, negativeInteger, fc.constantFrom(2 ** 53, 1e300)), async (weight) => {
        const s = f.service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        const error = await refusal(() => s.setPodWeight('ns', 'svc', 1, weight));
        assert.ok(error, `accepted weight ${String(weight)}`);
        assert.equal(error.field, 'weight', error.message);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await assertNothingWritten('refused weights');
  });
});
