import { performance } from 'node:perf_hooks';

const FIRST_TTL_MS = 300;
const LAST_TTL_MS = 20_000;
/** Redis counts a TTL from when it ran the write, at most this long after its reply reached us. */
const EXPIRY_MARGIN_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a "cached while it lives, gone after its TTL" check without racing the machine's speed:
 * `write(ttlMs)` writes the temporary links, `warm()` caches them and returns `false` if it could
 * not before they expired, `expectGone()` runs once the TTL has surely run out in Redis. A warm-up
 * slower than the TTL is tried again with a TTL twice as long, instead of failing the test.
 */
export async function checkTemporaryLinks(
  write: (ttlMs: number) => Promise<void>,
  warm: () => Promise<boolean>,
  expectGone: () => Promise<void>,
): Promise<number> {
  for (let ttlMs = FIRST_TTL_MS; ttlMs <= LAST_TTL_MS; ttlMs *= 2) {
    await write(ttlMs);
    const writtenAt = performance.now();
    if (!(await warm())) continue;
    await sleep(Math.max(0, writtenAt + ttlMs + EXPIRY_MARGIN_MS - performance.now()));
    await expectGone();
    return ttlMs;
  }
  throw new Error(`could not cache links for their TTL even with ${LAST_TTL_MS} ms`);
}
