import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { StatefulRedisCore } from '../../core/stateful-redis-core';
import { ModuleRef } from '@nestjs/core';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import type { SilentPodMark } from '../../routing/interfaces/silent-pod.interface';
import { StatefulExecutorService } from '../../routing/stateful-executor.service';
import type { ScheduledRunContext } from '../interfaces/scheduled-run-context.interface';
import type { SchedulerMetrics } from '../metrics/scheduler-metrics';
import { WorkflowRegistry } from '../runtime/workflow-registry';
import { SCHEDULER_CORE, SCHEDULER_METRICS } from '../scheduler.constants';
import { SCHEDULER_LIMITS } from '../options/scheduler-limits';
import { validateDecoratedTask } from '../validation/task-input.validator';

/** Id (and workflow) of the built-in task; a `@DistributedCron` of an app cannot take it by accident. */
export const DEAD_POD_SWEEP_TASK = 'stateful-redis.dead-pod-sweep';
/** How often the built-in task fires unless `podLiveness.sweepCron` says otherwise. */
const DEFAULT_SWEEP_CRON = '*/15 * * * * *';
/** Services are found by a SCAN of every master (a pass over the whole keyspace): at most this often per replica. */
const DISCOVERY_EVERY_MS = 5 * 60_000;
/** Services per page of a discovery: every page is a SCAN of every master; there are as many pages as needed. */
const DISCOVERY_PAGE = 10_000;

/**
 * The built-in task of `podLiveness.sweepAfterMs`: once per fire across the replicas, for each namespace, marks
 * the pods whose own last report is older than `sweepAfterMs` (judged on the clock of the master holding their
 * liveness entries), removes their links in one walk of the namespace's keyspace (every batch only while each pod
 * is still the silent pod marked; compare-and-delete per link) and forgets them, unless they reported again
 * meanwhile. Pods that never report liveness (Java or Go pods) are never swept. Off by default.
 */
@Injectable()
export class DeadPodSweeper implements OnModuleInit {
  private readonly logger = new Logger('DeadPodSweep');
  private directory?: StatefulExecutorService;
  private services: ServiceRef[] = [];
  /** `Date.now()` of the last discovery: a cadence only, never a liveness decision (Redis time makes those). */
  private discoveredAt = -Infinity;

  constructor(
    @Inject(SCHEDULER_CORE) private readonly core: StatefulRedisCore,
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
   * One fire: every namespace found. A namespace or service that fails (Redis error, a master that cannot be
   * scanned) is logged and the others are swept; the run then fails. Its marked pods stay marked and `silent`, and
   * the next fire takes them up again.
   */
  async sweep(run: ScheduledRunContext): Promise<void> {
    const byNamespace = new Map<string, string[]>();
    for (const { namespace, serviceName } of await this.knownServices(this.directory!))
      byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), serviceName]);
    const failures: string[] = [];
    for (const [namespace, services] of byNamespace) {
      run.signal.throwIfAborted();
      for (const failure of await this.sweepNamespace(run, namespace, services)) failures.push(failure);
    }
    if (failures.length > 0) throw new Error(`${failures.length} service(s) not swept: ${failures.join('; ')}`);
  }

  /** Marks the silent pods of each service, then removes the links of them all in one walk; returns the failures. */
  private async sweepNamespace(run: ScheduledRunContext, namespace: string, services: string[]): Promise<string[]> {
    const directory = this.directory!;
    const failures: string[] = [];
    const failed = (serviceName: string, error: unknown) => {
      if (run.signal.aborted) throw error;
      const message = scrubText((error as Error).message);
      failures.push(`${namespace}/${serviceName}: ${message}`);
      this.logger.error(`Dead-pod sweep of ${namespace}/${serviceName} failed: ${message}`);
    };
    const marks: SilentPodMark[] = [];
    for (const serviceName of services) {
      run.signal.throwIfAborted();
      try {
        marks.push(...(await directory.markSilentPods(namespace, serviceName, this.sweepAfterMs())));
      } catch (error) {
        failed(serviceName, error);
      }
    }
    if (marks.length === 0) return failures;
    try {
      // A lost lease stops the walk at its next batch: another replica runs the next fire.
      const onProgress = () => run.signal.throwIfAborted();
      const swept = await directory.removeMarkedPodLinks(namespace, marks, { onProgress });
      // A pod with links possibly left stays marked (and its service fails): the next fire takes it up again.
      const done = marks.filter((_, index) => swept[index].unfinished === undefined);
      const forgotten = await directory.forgetMarkedPods(namespace, done);
      swept.forEach((result, index) => {
        if (result.unfinished === undefined) this.report(run, namespace, marks[index], result, forgotten);
        else failed(result.serviceName, new Error(`pod ${result.podId} kept marked: ${result.unfinished}`));
      });
    } catch (error) {
      // The pods stay marked: the next fire sweeps them again (every step is conditional and idempotent).
      for (const serviceName of new Set(marks.map((mark) => mark.serviceName))) failed(serviceName, error);
    }
    return failures;
  }

  private report(
    run: ScheduledRunContext,
    namespace: string,
    mark: SilentPodMark,
    result: { removed: number },
    forgottenMarks: SilentPodMark[],
  ): void {
    const forgotten = forgottenMarks.includes(mark);
    this.metrics?.podSwept(namespace, mark.serviceName, result.removed, forgotten);
    this.logger.warn(
      `Pod ${mark.podId} of ${namespace}/${mark.serviceName} silent for ` +
        `${Math.round((mark.judgedAt - mark.lastSeenAt) / 1000)} s (sweepAfterMs ${this.sweepAfterMs()}): ` +
        `${result.removed} link(s) removed, ` +
        (forgotten
          ? 'pod forgotten'
          : 'pod kept: it reported, or its state was written on its behalf, during the sweep (still silent: ' +
            'the next fire takes it up again, counting on)') +
        ` (fire ${run.scheduledAt.toISOString()}, ${run.instanceId})`,
    );
  }

  private sweepAfterMs(): number {
    return this.core.options.podLiveness!.sweepAfterMs!;
  }

  /**
   * The services of every namespace, all of them page by page, found again every `DISCOVERY_EVERY_MS`; a failed
   * discovery keeps the last (and fails the run when there is none).
   */
  private async knownServices(directory: StatefulExecutorService): Promise<ServiceRef[]> {
    if (Date.now() - this.discoveredAt < DISCOVERY_EVERY_MS) return this.services;
    try {
      const found: ServiceRef[] = [];
      let page: ServiceRef[];
      do {
        page = await directory.findServices(undefined, { limit: DISCOVERY_PAGE, after: found.at(-1) });
        found.push(...page);
      } while (page.length === DISCOVERY_PAGE);
      this.services = found;
      this.discoveredAt = Date.now();
    } catch (error) {
      if (this.services.length === 0) throw error;
      this.logger.warn(`Could not list the services (${scrubText((error as Error).message)}); sweeping the known ones`);
    }
    return this.services;
  }
}
