import { StatefulError, type StatefulExecutorService } from '../../../lib';
import { sleep } from '../../harness/wait';

/** One finished call of the load. */
export interface CallRecord {
  worker: number;
  operation: string;
  uid: string;
  startedAt: number;
  endedAt: number;
  /** The StatefulError code, or `undefined` when the call succeeded. */
  code?: string;
  message?: string;
}

export interface LoadSummary {
  calls: number;
  failures: number;
  /** Failed calls by error code. */
  codes: Record<string, number>;
  /** From `since` to the end of the last failed call (0 when nothing failed). */
  failingForMs: number;
  /** The longest any single call took. */
  longestCallMs: number;
}

export interface LoadOptions {
  workers: number;
  /** The uids the workers write; each worker takes them in turn. */
  uids: string[];
  namespace: string;
  service: string;
  /** Pause between two calls of one worker. */
  pauseMs?: number;
}

const OPERATIONS = [
  'setLinkedPod',
  'trySetLinkedPod',
  'setLinkedPodIfAbsent',
  'computeLinkedPodIfAbsent',
  'removeLinkedPod',
  'getLinkService',
] as const;

/**
 * Several concurrent callers writing links through the library until stopped, each call
 * recorded with its timing and outcome, to measure how long calls fail during a fault.
 */
export class LinkLoad {
  readonly records: CallRecord[] = [];
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly services: StatefulExecutorService[],
    private readonly options: LoadOptions,
  ) {}

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: this.options.workers }, (_, worker) => this.work(worker));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Resolves once every worker has had `count` successful calls that started after `since`. */
  async waitForSuccesses(since: number, count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const perWorker = new Map<number, number>();
      for (const r of this.records)
        if (r.startedAt >= since && r.code === undefined) perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + 1);
      if (perWorker.size === this.options.workers && [...perWorker.values()].every((n) => n >= count)) return;
      if (Date.now() > deadline) {
        const last = this.records
          .filter((r) => r.code !== undefined)
          .slice(-3)
          .map((r) => `${r.operation}: ${r.code} ${r.message}`);
        throw new Error(
          `workers did not all succeed ${count} times within ${timeoutMs} ms (successes per worker: ${JSON.stringify([...perWorker])}); last failures:\n${last.join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  summary(since = 0, until = Number.POSITIVE_INFINITY): LoadSummary {
    const window = this.records.filter((r) => r.startedAt >= since && r.startedAt <= until);
    const failed = window.filter((r) => r.code !== undefined);
    const codes: Record<string, number> = {};
    for (const r of failed) codes[r.code as string] = (codes[r.code as string] ?? 0) + 1;
    return {
      calls: window.length,
      failures: failed.length,
      codes,
      failingForMs: failed.length === 0 ? 0 : Math.max(...failed.map((r) => r.endedAt)) - since,
      longestCallMs: Math.max(0, ...window.map((r) => r.endedAt - r.startedAt)),
    };
  }

  /** Distinct failures, as code and the Redis reason (inputs left out). */
  failureKinds(): string[] {
    const kinds = new Set<string>();
    for (const r of this.records)
      if (r.code !== undefined) kinds.add(`${r.code}: ${(r.message ?? '').replace(/^.*\) failed: /, '')}`);
    return [...kinds];
  }

  /** Failures whose code does not say what happened: a timeout that is not TIMEOUT, a lost connection that is not REDIS_CONNECTION_ERROR. */
  misclassified(): CallRecord[] {
    return this.records.filter(
      (r) =>
        r.code !== undefined &&
        ((/timed out/i.test(r.message ?? '') && r.code !== 'TIMEOUT') ||
          (/Connection is closed|ECONNREFUSED|ECONNRESET/.test(r.message ?? '') &&
            r.code !== 'REDIS_CONNECTION_ERROR')),
    );
  }

  /** Failures that are not a StatefulError, or not one of the codes a fault may cause. */
  unexpectedFailures(allowed: string[]): CallRecord[] {
    return this.records.filter((r) => r.code !== undefined && !allowed.includes(r.code));
  }

  private async work(worker: number): Promise<void> {
    const { uids, namespace, service: svc, pauseMs = 5 } = this.options;
    let step = worker;
    while (this.running) {
      const uid = uids[step % uids.length];
      const operation = OPERATIONS[(step + Math.floor(step / uids.length)) % OPERATIONS.length];
      const client = this.services[step % this.services.length];
      const pod = step % 4;
      step += this.options.workers;
      const record: CallRecord = { worker, operation, uid, startedAt: Date.now(), endedAt: 0 };
      try {
        switch (operation) {
          case 'setLinkedPod':
            await client.setLinkedPod(namespace, uid, svc, pod, -1);
            break;
          case 'trySetLinkedPod':
            await client.trySetLinkedPod(namespace, uid, svc, pod, 600);
            break;
          case 'setLinkedPodIfAbsent':
            await client.setLinkedPodIfAbsent(namespace, uid, svc, pod, -1);
            break;
          case 'computeLinkedPodIfAbsent':
            await client.computeLinkedPodIfAbsent(namespace, uid, svc, 600);
            break;
          case 'removeLinkedPod':
            await client.removeLinkedPod(namespace, uid, svc, step % 2 ? 0 : 600);
            break;
          case 'getLinkService':
            await client.getLinkService(namespace, uid);
            break;
        }
      } catch (error) {
        record.code = error instanceof StatefulError ? error.code : `not a StatefulError: ${(error as Error)?.name}`;
        record.message = (error as Error)?.message;
      }
      record.endedAt = Date.now();
      this.records.push(record);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/** What `awaitRecovery` measured after a fault. */
export interface Recovery<T> {
  promoted: T;
  promotedAfterMs: number;
  /** The load from the fault on. */
  during: LoadSummary;
  /** The load from the first successes after the promotion on. */
  afterwards: LoadSummary;
}

/**
 * After a fault injected at `faultAt`: waits for `promotion`, then for the load to succeed again,
 * keeps it running 1.5 s longer (nothing may fail once recovered), stops it and summarises.
 */
export async function awaitRecovery<T>(
  load: LinkLoad,
  faultAt: number,
  promotion: () => Promise<T>,
): Promise<Recovery<T>> {
  const promoted = await promotion();
  const promotedAfterMs = Date.now() - faultAt;
  await load.waitForSuccesses(Date.now(), 5, 20_000);
  const recoveredAt = Date.now();
  await sleep(1_500);
  await load.stop();
  return { promoted, promotedAfterMs, during: load.summary(faultAt), afterwards: load.summary(recoveredAt) };
}
