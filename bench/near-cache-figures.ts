import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { StatefulExecutorService, StatefulRedisModule } from '../lib';
import { NearCache } from '../lib/routing/near-cache/near-cache';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { percentile } from './measure';
import { SERVICE, uids } from './workload';
import { redisKeys } from './implementations/redis-keys';

export interface NearCacheFigures {
  /** From just before another client sends its write to the moment the entry is dropped, µs. */
  invalidationP50Us: number;
  invalidationP99Us: number;
  invalidationMaxUs: number;
  /** From the other client's write reply to the entry dropped, µs; negative: dropped before the writer heard back. */
  afterWriteReplyP50Us: number;
  invalidationSamples: number;
  /** Heap per cached link, bytes (heap used after filling the cache, less before, over the entries). */
  heapBytesPerEntry: number;
  entriesMeasured: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Coherence and memory of the near-cache: another client (as another process would) writes a
 * cached link; the time until the near-cache drops the entry is the window in which this
 * process could still answer the old pod.
 */
export async function measureNearCache(
  url: string,
  namespace: string,
  rounds: number,
  entries: number,
): Promise<NearCacheFigures> {
  const linkKey = redisKeys(namespace).link;
  @Module({ imports: [StatefulRedisModule.forRoot({ redis: url, nearCache: { maxEntries: entries } })] })
  class NearCacheFiguresModule {}
  const app = await NestFactory.createApplicationContext(NearCacheFiguresModule, { logger: false });
  const other = new Redis(url);
  try {
    const service = app.get(StatefulExecutorService);
    const cache = app.get(NearCache);
    const waiting = new Map<string, (at: number) => void>();
    const invalidated = cache.invalidated.bind(cache);
    cache.invalidated = (keys) => {
      invalidated(keys);
      const at = performance.now();
      for (const key of keys ?? []) waiting.get(key.toString())?.(at);
    };

    const sinceSend: number[] = [];
    const sinceReply: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const uid = uids[round];
      const key = linkKey(uid);
      const before = await service.getLinkedPod(namespace, uid, SERVICE);
      await service.getLinkedPod(namespace, uid, SERVICE);
      const dropped = new Promise<number>((resolve) => waiting.set(key, resolve));
      const sent = performance.now();
      await other.set(key, String((before + 1) % 8));
      const replied = performance.now();
      const at = await dropped;
      waiting.delete(key);
      sinceSend.push((at - sent) * 1_000);
      sinceReply.push((at - replied) * 1_000);
      // Put the seeded link back (through the library, so the hash stays in step), off the clock.
      await service.setLinkedPod(namespace, uid, SERVICE, before, -1);
    }

    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < entries; i++) await service.getLinkedPod(namespace, uids[i], SERVICE);
    gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const cached = cache.stats().size;
    return {
      invalidationP50Us: Number(percentile(sinceSend, 50).toFixed(0)),
      invalidationP99Us: Number(percentile(sinceSend, 99).toFixed(0)),
      invalidationMaxUs: Number(Math.max(...sinceSend).toFixed(0)),
      afterWriteReplyP50Us: Number(percentile(sinceReply, 50).toFixed(0)),
      invalidationSamples: sinceSend.length,
      heapBytesPerEntry: Math.round((heapAfter - heapBefore) / cached),
      entriesMeasured: cached,
    };
  } finally {
    other.disconnect();
    await app.close();
  }
}
