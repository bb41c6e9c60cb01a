import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import { StatefulExecutorService } from '../../routing/stateful-executor.service';
import type { ScheduledRunContext } from '../interfaces/scheduled-run-context.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { SchedulerCore } from '../runtime/scheduler-core';
import { WorkflowRegistry } from '../runtime/workflow-registry';
import { SCHEDULER_METRICS } from '../scheduler.constants';
import { SCHEDULER_LIMITS } from '../options/scheduler-limits';
import { validateDecoratedTask } from '../validation/task-input.validator';

/** Id (and workflow) of the built-in task; a `@DistributedCron` of an app cannot take it by accident. */
export const DEAD_POD_SWEEP_TASK = 'stateful-redis.dead-pod-sweep';
/** How often the built-in task fires unless `podLiveness.sweepCron` says otherwise. */
const DEFAULT_SWEEP_CRON = '*/15 * * * * *';
/** Services are found by a SCAN of every master (a pass over the whole keyspace): at most this often per replica. */
const DISCOVERY_EVERY_MS = 5 * 60_000;
/** Most services one discovery keeps. */
const MAX_SERVICES = 10_000;

/**
 * The built-in task of `podLiveness.sweepAfterMs`: once per fire across the replicas, finds the pods whose last
 * report is older than `sweepAfterMs` (Redis time), removes their links (compare-and-delete per link: a user
 * re-linked elsewhere meanwhile is kept) and forgets them, unless they reported again meanwhile. Pods that never
 * report liveness (Java or Go pods) are never swept. Registered with the scheduler of this package; off by default.
 */
@Injectable()
export class DeadPodSweeper implements OnModuleInit {
  private readonly logger = new Logger('DeadPodSweep');
  private directory?: StatefulExecutorService;
  private services: ServiceRef[] = [];
  /** `Date.now()` of the last discovery: a cadence only, never a liveness decision (Redis time makes those). */
  private discoveredAt = -Infinity;

  constructor(
    private readonly core: SchedulerCore,
    private readonly registry: WorkflowRegistry,
    private readonly moduleRef: ModuleRef,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics | null,
  ) {}

  onModuleInit(): void {
    const liveness = this.core.options.podLiveness;
    if (liveness?.sweepAfterMs === undefined) return;
    // The routing service of StatefulRedisModule, wherever the app imported it.
    this.directory = this.moduleRef.get(StatefulExecutorService, { strict: false });
    const operation = 'podLiveness.sweepAfterMs';
    const definition = validateDecoratedTask(operation, liveness.sweepCron ?? DEFAULT_SWEEP_CRON, {
      name: DEAD_POD_SWEEP_TASK,
      // A sweep still running when the next fire comes makes that fire `skipped`; one missed while every replica
      // was down is not worth a late run: the next fire does the same work. Failed fires never disable it.
      overlap: 'skip',
      misfire: 'skip',
      maxConsecutiveFailures: SCHEDULER_LIMITS.maxConsecutiveFailures,
    });
    this.registry.register(operation, DEAD_POD_SWEEP_TASK, (run: ScheduledRunContext) => this.sweep(run));
    this.registry.declare(operation, definition);
  }

  /**
   * One fire: every service found, every pod silent past `sweepAfterMs` at the fire time. A service that fails
   * (Redis error, a pod that cannot be read) is logged and the others are swept; the run then fails, to be retried.
   */
  async sweep(run: ScheduledRunContext): Promise<void> {
    const directory = this.directory!;
    const sweepAfterMs = this.core.options.podLiveness!.sweepAfterMs!;
    // The fire time is Redis time, as `lastSeenAt` is; a late run judges by the fire time, which only spares pods.
    const now = run.scheduledAt.getTime();
    const failures: string[] = [];
    for (const { namespace, serviceName } of await this.knownServices(directory)) {
      run.signal.throwIfAborted();
      try {
        const silent = (await directory.getPods(namespace, serviceName)).filter(
          (pod) => pod.lastSeenAt !== null && now - pod.lastSeenAt > sweepAfterMs,
        );
        for (const pod of silent) await this.sweepPod(run, namespace, serviceName, pod.podId, pod.lastSeenAt!, now);
      } catch (error) {
        if (run.signal.aborted) throw error;
        failures.push(`${namespace}/${serviceName}: ${scrubText((error as Error).message)}`);
        this.logger.error(
          `Dead-pod sweep of ${namespace}/${serviceName} failed: ${scrubText((error as Error).message)}`,
        );
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} service(s) not swept: ${failures.join('; ')}`);
  }

  /**
   * Marks the pod `silent` first (no gateway places users on it any more, Java and Go ones included), then
   * removes its links, then forgets it; each step only while its last report is still `lastSeenAt`. A sweep cut
   * short leaves the pod `silent` and listed, so the next fire sweeps it again.
   */
  private async sweepPod(
    run: ScheduledRunContext,
    namespace: string,
    serviceName: string,
    podId: number,
    lastSeenAt: number,
    now: number,
  ): Promise<void> {
    const directory = this.directory!;
    if (!(await directory.markSilentPod(namespace, serviceName, podId, lastSeenAt))) return;
    // A lost lease stops the walk at its next batch: another replica runs the next fire.
    const links = await directory.removePodLinks(namespace, serviceName, podId, {
      onProgress: () => run.signal.throwIfAborted(),
    });
    const forgotten = await directory.removeSilentPod(namespace, serviceName, podId, lastSeenAt);
    this.metrics?.podSwept(namespace, serviceName, links, forgotten);
    this.logger.warn(
      `Pod ${podId} of ${namespace}/${serviceName} silent for ${Math.round((now - lastSeenAt) / 1000)} s ` +
        `(sweepAfterMs ${this.core.options.podLiveness!.sweepAfterMs}): ${links} link(s) removed, ` +
        (forgotten ? 'pod forgotten' : 'pod kept: it reported again during the sweep') +
        ` (fire ${run.scheduledAt.toISOString()}, ${run.instanceId})`,
    );
  }

  /** The services of every namespace, found again every `DISCOVERY_EVERY_MS`; a failed discovery keeps the last. */
  private async knownServices(directory: StatefulExecutorService): Promise<ServiceRef[]> {
    if (Date.now() - this.discoveredAt < DISCOVERY_EVERY_MS) return this.services;
    try {
      this.services = await directory.findServices(undefined, { limit: MAX_SERVICES });
      this.discoveredAt = Date.now();
    } catch (error) {
      if (this.services.length === 0) throw error;
      this.logger.warn(`Could not list the services (${scrubText((error as Error).message)}); sweeping the known ones`);
    }
    return this.services;
  }
}
