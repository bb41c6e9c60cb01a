/** Draws from a PRNG of [0, 1) (test/harness/prng.ts), so that a plan is a pure function of its seed. */
export class RandomDraws {
  constructor(private readonly random: () => number) {}

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** One key of `weights`, with probability proportional to its weight (zero weights never). */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.random() * total;
    for (const [key, weight] of entries) {
      if (draw < weight) return key;
      draw -= weight;
    }
    return entries.filter(([, weight]) => weight > 0).slice(-1)[0][0];
  }

  /** A new array in random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const result = [...items];
    for (let i = result.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [result[i], result[j]] = [result[j], result[i]];
    }
    return result;
  }

  /** A 32-bit seed for a PRNG of its own (one per plan: adding draws to one plan does not change the other). */
  seed(): number {
    return Math.floor(this.random() * 2 ** 32);
  }
}
