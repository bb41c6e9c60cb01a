// What the orchestrator (main.ts) and its replicas (replica.ts) agree on, read from the environment.

/** The `@DistributedCron` task every replica declares. */
export const TASK_NAME = 'tick';
export const TASK_CRON = '* * * * * *';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** The scheduler namespace of this run (the matrix shares one redis-server between its apps). */
export function schedulerNamespace(): string {
  return process.env.SCHEDULER_NAMESPACE ?? 'install-matrix';
}

/** History kept per task: every fire of the soak and of the boot must fit, nothing trimmed before it is read. */
export function historyLength(): number {
  return Number(process.env.SCHEDULER_HISTORY_LENGTH ?? 200);
}

/** The replicas' scheduler options (the orchestrator's observer reads the same namespace and history). */
export const REPLICA_SCHEDULE_OPTIONS = { maxConcurrent: 2, pollIntervalMs: 1_000 } as const;

/** Redis `TIME` in milliseconds: the clock the scheduler decides with. */
export async function redisTimeMs(client: { time(): Promise<unknown> }): Promise<number> {
  const [seconds, micros] = (await client.time()) as [number | string, number | string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
