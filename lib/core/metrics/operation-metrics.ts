import { ErrorCode } from '../errors/error-code';
import { registerLibraryMetrics } from './library-metrics-registration';
import type { StatefulRedisMetricsRegistry } from '../interfaces/stateful-redis-module-options.interface';

/** Names of the metrics, as dashboards and alerts know them. */
export const METRIC_NAMES = {
  operations: 'stateful_redis_operations_total',
  errors: 'stateful_redis_operation_errors_total',
  duration: 'stateful_redis_operation_duration_seconds',
  nearCacheTracking: 'stateful_redis_near_cache_tracking_channels',
  podsBackAfterSweep: 'stateful_redis_pods_reported_after_sweep_total',
} as const;

/** What a near-cache tells the metrics: its tracking channels (one per Redis node), and how many are on. */
export type NearCacheTrackingSource = () => { channels: number; activeChannels: number };

/** Upper bounds (seconds) of the latency histogram: a local Redis answers in 0.1–1 ms, a timeout takes seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Plain counters of one operation of one feature; the hot path only adds to numbers. */
class OperationStats {
  constructor(
    readonly feature: string,
    readonly operation: string,
  ) {}

  calls = 0;
  durationCount = 0;
  durationSum = 0;
  /** Observations per bucket (not cumulative); slower than the last bound: only in `durationCount`. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);
  readonly errors = new Map<string, number>();

  observe(seconds: number): void {
    this.durationCount++;
    this.durationSum += seconds;
    for (let index = 0; index < DURATION_BUCKETS.length; index++) {
      if (seconds <= DURATION_BUCKETS[index]) {
        this.buckets[index]++;
        return;
      }
    }
  }
}

type Labels = Record<string, string | number>;
interface MetricSample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A metric as a prom-client `Registry` reads it (`name`, `help`, `type`, `get()`, `reset()`): the values
 * are taken from the plain counters at scrape time, so an operation costs a few additions, not prom-client calls.
 */
class ScrapedMetric {
  readonly aggregator = 'sum';
  /** The name it is registered under; `name` itself loses `_total` when an OpenMetrics registry renders a counter. */
  readonly key: string;

  constructor(
    public name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram' | 'gauge',
    private readonly samples: () => MetricSample[],
    readonly reset: () => void,
  ) {
    this.key = name;
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

/**
 * Per operation of each feature: calls, errors by code and a latency histogram, exported to a prom-client
 * registry as `stateful_redis_operations_total{feature,operation}`,
 * `stateful_redis_operation_errors_total{feature,operation,code}` and
 * `stateful_redis_operation_duration_seconds{feature,operation}`. One instance per registry, shared by every
 * module in the process that exports to it (two apps in one process add up instead of clashing).
 */
export class OperationMetrics {
  private static readonly byRegistry = new WeakMap<object, OperationMetrics>();
  /** feature → operation → counters. */
  private readonly stats = new Map<string, Map<string, OperationStats>>();
  private readonly nearCaches = new Set<NearCacheTrackingSource>();
  /** `namespace\nservice` → reports of pods a sweep had declared silent. */
  private readonly backAfterSweep = new Map<string, number>();
  private readonly metrics: ScrapedMetric[];

  private constructor() {
    const reset = () => {
      this.stats.clear();
      this.backAfterSweep.clear();
    };
    this.metrics = [
      new ScrapedMetric(
        METRIC_NAMES.operations,
        'Operations sent to Redis (or refused before init), by feature and operation.',
        'counter',
        () => this.callSamples(),
        reset,
      ),
      new ScrapedMetric(
        METRIC_NAMES.errors,
        'Failed operations by feature, operation and StatefulError code.',
        'counter',
        () => this.errorSamples(),
        reset,
      ),
      new ScrapedMetric(
        METRIC_NAMES.duration,
        'Duration of operations (all their Redis round trips, failures included), by feature and operation.',
        'histogram',
        () => this.durationSamples(),
        reset,
      ),
      // A state read at scrape time: nothing to reset.
      new ScrapedMetric(
        METRIC_NAMES.nearCacheTracking,
        'Near-cache tracking channels (one per Redis node) by state; an inactive one sends its reads to Redis.',
        'gauge',
        () => this.trackingSamples(),
        () => undefined,
      ),
      new ScrapedMetric(
        METRIC_NAMES.podsBackAfterSweep,
        'Reports of pods that a dead-pod sweep had declared silent (they may have lost links), ' +
          'by namespace and service.',
        'counter',
        () =>
          [...this.backAfterSweep].map(([key, value]) => {
            const [namespace, service] = key.split('\n');
            return { labels: { namespace, service }, value };
          }),
        reset,
      ),
    ];
  }

  /** A pod that a sweep had declared silent reported again. */
  podBackAfterSweep(namespace: string, service: string): void {
    const key = `${namespace}\n${service}`;
    this.backAfterSweep.set(key, (this.backAfterSweep.get(key) ?? 0) + 1);
  }

  /** The metrics exported to `registry`, registered there unless they already are. */
  static for(registry: StatefulRedisMetricsRegistry): OperationMetrics {
    let metrics = OperationMetrics.byRegistry.get(registry);
    if (!metrics) {
      metrics = new OperationMetrics();
      OperationMetrics.byRegistry.set(registry, metrics);
    }
    metrics.registerIn(registry);
    return metrics;
  }

  /** One call of a feature's operation that got its reply after `seconds`. */
  succeeded(feature: string, operation: string, seconds: number): void {
    const stats = this.of(feature, operation);
    stats.calls++;
    stats.observe(seconds);
  }

  /** One call that failed with `code`, after `seconds` (none when refused before reaching Redis). */
  failed(feature: string, operation: string, code: ErrorCode, seconds?: number): void {
    const stats = this.of(feature, operation);
    stats.calls++;
    stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
    if (seconds !== undefined) stats.observe(seconds);
  }

  /** Reports a near-cache's tracking state until the returned function is called (when the cache closes). */
  observeNearCache(source: NearCacheTrackingSource): () => void {
    this.nearCaches.add(source);
    return () => this.nearCaches.delete(source);
  }

  private of(feature: string, operation: string): OperationStats {
    let byOperation = this.stats.get(feature);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.stats.set(feature, byOperation);
    }
    let stats = byOperation.get(operation);
    if (stats === undefined) {
      stats = new OperationStats(feature, operation);
      byOperation.set(operation, stats);
    }
    return stats;
  }

  private all(): OperationStats[] {
    return [...this.stats.values()].flatMap((byOperation) => [...byOperation.values()]);
  }

  // A registry that was cleared (`register.clear()` between tests) gets the metrics again, counting from zero.
  private registerIn(registry: StatefulRedisMetricsRegistry): void {
    const metrics = this.metrics.map((metric) => ({ metric, name: metric.key }));
    if (registerLibraryMetrics(registry, metrics)) {
      this.stats.clear();
      this.backAfterSweep.clear();
    }
  }

  private trackingSamples(): MetricSample[] {
    if (this.nearCaches.size === 0) return [];
    let channels = 0;
    let active = 0;
    for (const source of this.nearCaches) {
      const status = source();
      channels += status.channels;
      active += status.activeChannels;
    }
    return [
      { labels: { state: 'active' }, value: active },
      { labels: { state: 'inactive' }, value: channels - active },
    ];
  }

  private callSamples(): MetricSample[] {
    return this.all().map(({ feature, operation, calls }) => ({ labels: { feature, operation }, value: calls }));
  }

  private errorSamples(): MetricSample[] {
    return this.all().flatMap(({ feature, operation, errors }) =>
      [...errors].map(([code, value]) => ({ labels: { feature, operation, code }, value })),
    );
  }

  private durationSamples(): MetricSample[] {
    const name = METRIC_NAMES.duration;
    return this.all().flatMap((stats): MetricSample[] => {
      const { feature, operation } = stats;
      let cumulative = 0;
      const buckets = DURATION_BUCKETS.map((bound, index) => {
        cumulative += stats.buckets[index];
        return { labels: { feature, operation, le: bound }, value: cumulative, metricName: `${name}_bucket` };
      });
      return [
        ...buckets,
        { labels: { feature, operation, le: '+Inf' }, value: stats.durationCount, metricName: `${name}_bucket` },
        { labels: { feature, operation }, value: stats.durationSum, metricName: `${name}_sum` },
        { labels: { feature, operation }, value: stats.durationCount, metricName: `${name}_count` },
      ];
    });
  }
}
