import { createHash } from 'node:crypto';

/** 48 bits of the hash: exact in a double, and the modulo bias stays below jitterMs / 2^48. */
const HASH_BYTES = 6;

/**
 * Deterministic offset in [0, jitterMs) for (taskId, fireTime): every replica computes the same.
 * SHA-1 of `${taskId}\n${fireTimeMs}`, its first 48 bits modulo `jitterMs` (floored); 0 when `jitterMs` < 1.
 * The formula is part of the stored due scores: replicas of different versions must keep computing it the same.
 */
export function jitterOffset(taskId: string, fireTimeMs: number, jitterMs: number): number {
  const range = Math.floor(jitterMs);
  if (!(range >= 1)) return 0;
  const digest = createHash('sha1').update(`${taskId}\n${fireTimeMs}`, 'utf8').digest();
  return digest.readUIntBE(0, HASH_BYTES) % range;
}
