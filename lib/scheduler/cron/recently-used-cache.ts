/**
 * A map that keeps at most `maxEntries` entries, forgetting the least recently used one first.
 * A `Map` iterates in insertion order, so a hit is moved to the end and the first key is the oldest.
 */
export class RecentlyUsedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly maxEntries: number) {}

  /** How many entries are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** The value under `key` (now the most recently used), or undefined. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Stores `value` under `key`, forgetting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
  }
}
