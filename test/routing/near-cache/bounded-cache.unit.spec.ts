import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache, CacheEntry } from '../../../lib/routing/near-cache/bounded-cache';

type Bucket = Map<string, CacheEntry<number>>;

describe('BoundedCache', () => {
  it('never holds more than maxEntries entries, over all buckets', () => {
    const cache = new BoundedCache<number>(10);
    const buckets: Bucket[] = [new Map(), new Map(), new Map()];
    for (let i = 0; i < 1_000; i++) {
      cache.set(buckets[i % 3], `k${i}`, i, Infinity);
      assert.ok(cache.size <= 10);
      assert.equal(
        buckets.reduce((sum, bucket) => sum + bucket.size, 0),
        cache.size,
      );
    }
    assert.equal(cache.size, 10);
  });

  it('evicts the oldest entry not used since the hand passed, keeping the used ones (CLOCK)', () => {
    const cache = new BoundedCache<number>(3);
    const bucket: Bucket = new Map();
    cache.set(bucket, 'a', 1, Infinity);
    cache.set(bucket, 'b', 2, Infinity);
    cache.set(bucket, 'c', 3, Infinity);
    bucket.get('a')!.used = true; // a hit
    cache.set(bucket, 'd', 4, Infinity); // a is spared, b is the oldest unused
    assert.deepEqual([...bucket.keys()].sort(), ['a', 'c', 'd']);
  });

  it('keeps a hot entry through any amount of churn', () => {
    const cache = new BoundedCache<number>(5);
    const bucket: Bucket = new Map();
    cache.set(bucket, 'hot', 0, Infinity);
    for (let i = 0; i < 10_000; i++) {
      bucket.get('hot')!.used = true; // a hit
      cache.set(bucket, `cold${i}`, i, Infinity);
    }
    assert.equal(bucket.get('hot')?.value, 0);
    assert.equal(cache.size, 5);
  });

  it('updates in place, reuses the slots of deleted entries, and clears', () => {
    const cache = new BoundedCache<number>(2);
    const bucket: Bucket = new Map();
    cache.set(bucket, 'a', 1, Infinity);
    cache.set(bucket, 'a', 2, 5);
    assert.equal(bucket.get('a')?.value, 2);
    assert.equal(bucket.get('a')?.expiresAt, 5);
    assert.equal(cache.size, 1);
    cache.delete(bucket, 'a');
    cache.delete(bucket, 'missing');
    cache.delete(undefined, 'a');
    assert.equal(cache.size, 0);
    cache.set(bucket, 'b', 1, Infinity);
    cache.set(bucket, 'c', 1, Infinity);
    assert.deepEqual([...bucket.keys()].sort(), ['b', 'c'], 'nothing evicted while a slot is free');
    cache.clear();
    assert.equal(cache.size, 0);
  });
});
