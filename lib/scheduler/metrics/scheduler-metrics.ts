import type {
  StatefulRedisMetricsOptions,
  StatefulRedisMetricsRegistry,
} from '../../core/interfaces/stateful-redis-module-options.interface';
import { optionalPromClient, registerLibraryMetrics } from '../../core/metrics/library-metrics-registration';
import { defaultPromRegistry } from '../../core/metrics/operation-metrics.factory';
import type { TaskStatus } from '../interfaces/scheduled-task.interface';

/** Names of the scheduler's metrics, as dashboards and alerts know them. */
export const SCHEDULER_METRIC_NAMES = {
  runs: 'stateful_redis_scheduler_runs_total',
  runDuration: 'stateful_redis_scheduler_run_duration_seconds',
  fireLag: 'stateful_redis_scheduler_fire_lag_seconds',
  leasesLost: 'stateful_redis_scheduler_leases_lost_total',
  freeSlots: 'stateful_redis_scheduler_free_slots',
  reshardingRetries: 'stateful_redis_scheduler_resharding_retries_total',
  podsSwept: 'stateful_redis_pods_swept_total',
  linksSwept: 'stateful_redis_pod_links_swept_total',
} as const;

/** Every status, checked against the type: the runs counter of a removed task may hold any of them. */
const RUN_STATUSES = Object.keys({
  pending: true,
  running: true,
  success: true,
  failed: true,
  cancelled: true,
  retry: true,
  skipped: true,
  missed: true,
  lost: true,
} satisfies Record<TaskStatus, true>) as TaskStatus[];

/** A handler's duration: from milliseconds to an hour. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
/** Start minus fire time: a replica that woke on time starts within milliseconds; a misfire, after minutes. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The part of prom-client's metric classes used here (prom-client stays an optional peer dependency). */
interface LabelledMetric {
  labels(labels: Record<string, string>): {
    inc(value?: number): void;
    observe(value: number): void;
    set(value: number): void;
  };
  remove(labels: Record<string, string>): void;
  reset(): void;
}
type MetricClass = new (configuration: Record<string, unknown>) => LabelledMetric;
interface PromClient {
  Counter: MetricClass;
  Histogram: MetricClass;
  Gauge: MetricClass;
}

/** A replica's free slots, read at scrape time. */
export interface FreeSlotsSource {
  namespace: string;
  instanceId: string;
  freeSlots(): number;
}

/**
 * The scheduler's metrics in a prom-client registry: runs by task and status, run duration and fire lag
 * (histograms), leases lost (counter), free slots (gauge, per replica). One instance per registry, shared by
 * every scheduler of the process exporting to it.
 */
export class SchedulerMetrics {
  private static readonly byRegistry = new WeakMap<object, SchedulerMetrics>();
  private readonly sources = new Set<FreeSlotsSource>();
  private readonly metrics: Array<LabelledMetric & { name?: string }>;
  private readonly runs: LabelledMetric;
  private readonly runDuration: LabelledMetric;
  private readonly fireLag: LabelledMetric;
  private readonly leasesLost: LabelledMetric;
  private readonly podsSwept: LabelledMetric;
  private readonly linksSwept: LabelledMetric;
  private readonly reshardingRetries: LabelledMetric;

  private constructor(prom: PromClient) {
    const sources = this.sources;
    this.runs = new prom.Counter({
      name: SCHEDULER_METRIC_NAMES.runs,
      help: 'Finished attempts of scheduled tasks run by this process, by namespace, task and status.',
      labelNames: ['namespace', 'task', 'status'],
      registers: [],
    });
    this.runDuration = new prom.Histogram({
      name: SCHEDULER_METRIC_NAMES.runDuration,
      help: 'Duration of scheduled runs (handler start to end), by namespace and task.',
      labelNames: ['namespace', 'task'],
      buckets: DURATION_BUCKETS,
      registers: [],
    });
    this.fireLag = new prom.Histogram({
      name: SCHEDULER_METRIC_NAMES.fireLag,
      help: 'Start of a run minus its scheduled fire time (Redis time), by namespace and task.',
      labelNames: ['namespace', 'task'],
      buckets: LAG_BUCKETS,
      registers: [],
    });
    this.leasesLost = new prom.Counter({
      name: SCHEDULER_METRIC_NAMES.leasesLost,
      help: 'Runs of this process whose lease could not be renewed (their signal was aborted), by namespace and task.',
      labelNames: ['namespace', 'task'],
      registers: [],
    });
    this.podsSwept = new prom.Counter({
      name: SCHEDULER_METRIC_NAMES.podsSwept,
      help:
        'Silent pods forgotten by the built-in dead-pod sweep (podLiveness.sweepAfterMs), ' +
        'by namespace and service.',
      labelNames: ['namespace', 'service'],
      registers: [],
    });
    this.linksSwept = new prom.Counter({
      name: SCHEDULER_METRIC_NAMES.linksSwept,
      help: 'Links of silent pods removed by the built-in dead-pod sweep, by namespace and service.',
      labelNames: ['namespace', 'service'],
      registers: [],
    });
    this.reshardingRetries = new prom.Counter({
      name: SCHEDULER_METRIC_NAMES.reshardingRetries,
      help:
        "Scheduler calls sent again because the namespace's cluster slot was moving (the script did not run), " +
        'by namespace and operation.',
      labelNames: ['namespace', 'operation'],
      registers: [],
    });
    const freeSlots = new prom.Gauge({
      name: SCHEDULER_METRIC_NAMES.freeSlots,
      help: 'Runs a scheduler replica could start now (maxConcurrent minus running), by namespace and instance id.',
      labelNames: ['namespace', 'instance_id'],
      registers: [],
      collect(this: LabelledMetric) {
        this.reset();
        for (const source of sources) {
          this.labels({ namespace: source.namespace, instance_id: source.instanceId }).set(source.freeSlots());
        }
      },
    });
    this.metrics = [
      this.runs,
      this.runDuration,
      this.fireLag,
      this.leasesLost,
      this.podsSwept,
      this.linksSwept,
      this.reshardingRetries,
      freeSlots,
    ];
  }

  /** The metrics exported to `registry`, registered there unless they already are. */
  static for(registry: StatefulRedisMetricsRegistry, prom: PromClient): SchedulerMetrics {
    let metrics = SchedulerMetrics.byRegistry.get(registry);
    if (!metrics) {
      metrics = new SchedulerMetrics(prom);
      SchedulerMetrics.byRegistry.set(registry, metrics);
    }
    metrics.registerIn(registry);
    return metrics;
  }

  /** Reports a replica's free slots until the returned function is called. */
  observeFreeSlots(source: FreeSlotsSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  /** One finished attempt (or one the store refused: `lost`). */
  finished(namespace: string, task: string, status: TaskStatus, durationSeconds: number): void {
    this.runs.labels({ namespace, task, status }).inc();
    this.runDuration.labels({ namespace, task }).observe(durationSeconds);
  }

  started(namespace: string, task: string, lagSeconds: number): void {
    this.fireLag.labels({ namespace, task }).observe(Math.max(lagSeconds, 0));
  }

  leaseLost(namespace: string, task: string): void {
    this.leasesLost.labels({ namespace, task }).inc();
  }

  /** A call refused while the namespace's slot moved between cluster nodes, sent again. */
  reshardingRetry(namespace: string, operation: string): void {
    this.reshardingRetries.labels({ namespace, operation }).inc();
  }

  /** Deletes the series of a removed task, so that tasks added and removed at run time do not pile series up. */
  forgetTask(namespace: string, task: string): void {
    for (const status of RUN_STATUSES) this.runs.remove({ namespace, task, status });
    for (const metric of [this.runDuration, this.fireLag, this.leasesLost]) metric.remove({ namespace, task });
  }

  /** One silent pod swept: its links removed, and the pod forgotten unless it reported again meanwhile. */
  podSwept(namespace: string, service: string, links: number, forgotten: boolean): void {
    this.linksSwept.labels({ namespace, service }).inc(links);
    if (forgotten) this.podsSwept.labels({ namespace, service }).inc();
  }

  // A registry that was cleared (`register.clear()` between tests) gets the metrics again.
  private registerIn(registry: StatefulRedisMetricsRegistry): void {
    registerLibraryMetrics(
      registry,
      this.metrics.map((metric) => ({ metric, name: metric.name as string })),
    );
  }
}

/**
 * The scheduler metrics the core's `metrics` option asks for (the same registry as the routing metrics):
 * `null` when it is `false` or prom-client is not installed.
 */
export function createSchedulerMetrics(option: boolean | StatefulRedisMetricsOptions): SchedulerMetrics | null {
  if (option === false) return null;
  const prom = optionalPromClient<PromClient>();
  const registry = (option !== true && option.registry) || defaultPromRegistry();
  return prom && registry ? SchedulerMetrics.for(registry, prom) : null;
}
