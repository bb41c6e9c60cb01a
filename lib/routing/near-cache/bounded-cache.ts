/** One cached answer, kept in a bucket (a `Map` of the caller's) under `key`. */
export interface CacheEntry<V> {
  value: V;
  /** A `performance.now()` time; `Infinity` for an answer without TTL. */
  expiresAt: number;
  /** Set by a hit, cleared when the eviction hand passes: the "second chance" of CLOCK. */
  used: boolean;
  readonly bucket: Map<string, CacheEntry<V>>;
  readonly key: string;
  slot: number;
}

/**
 * Entries spread over buckets of the caller's (so that a lookup needs no composite key string,
 * whose hashing would cost more than the lookup), never more than `maxEntries` of them in all.
 * Eviction is CLOCK (second chance), the usual approximation of LRU: a hit only sets a flag;
 * when full, a hand sweeps the slots, clearing the flags of used entries and evicting the
 * first entry not used since it last passed.
 */
export class BoundedCache<V> {
  private slots: Array<CacheEntry<V> | undefined> = [];
  private free: number[] = [];
  private hand = 0;
  private count = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.count;
  }

  set(bucket: Map<string, CacheEntry<V>>, key: string, value: V, expiresAt: number): void {
    const existing = bucket.get(key);
    if (existing !== undefined) {
      existing.value = value;
      existing.expiresAt = expiresAt;
      existing.used = true;
      return;
    }
    const slot = this.freeSlot();
    const entry: CacheEntry<V> = { value, expiresAt, used: false, bucket, key, slot };
    this.slots[slot] = entry;
    bucket.set(key, entry);
    this.count++;
  }

  delete(bucket: Map<string, CacheEntry<V>> | undefined, key: string): void {
    const entry = bucket?.get(key);
    if (entry === undefined) return;
    bucket!.delete(key);
    this.slots[entry.slot] = undefined;
    this.free.push(entry.slot);
    this.count--;
  }

  /** Forgets the slots; the caller drops its buckets. */
  clear(): void {
    this.slots = [];
    this.free = [];
    this.hand = 0;
    this.count = 0;
  }

  private freeSlot(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.slots.length < this.maxEntries) return this.slots.length;
    // Full: terminates within two turns, since every used entry passed loses its flag.
    for (;;) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.maxEntries;
      const entry = this.slots[slot];
      if (entry === undefined) return slot;
      if (entry.used) {
        entry.used = false;
        continue;
      }
      entry.bucket.delete(entry.key);
      this.count--;
      return slot;
    }
  }
}
