/** A union of closed intervals of numbers, merged once, asked by binary search (fault windows, by the hundred). */
export class IntervalSet {
  private readonly merged: Array<[number, number]> = [];

  constructor(intervals: Iterable<readonly [number, number]>) {
    const sorted = [...intervals].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
    for (const [lo, hi] of sorted) {
      const last = this.merged[this.merged.length - 1];
      if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
      else this.merged.push([lo, hi]);
    }
  }

  get size(): number {
    return this.merged.length;
  }

  contains(t: number): boolean {
    return this.overlaps(t, t);
  }

  /** Whether `[lo, hi]` meets any interval of the set. */
  overlaps(lo: number, hi: number): boolean {
    // The last interval starting at or before hi is the only one that can reach back to lo.
    let low = 0;
    let high = this.merged.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.merged[mid][0] <= hi) low = mid + 1;
      else high = mid;
    }
    return low > 0 && this.merged[low - 1][1] >= lo;
  }
}
