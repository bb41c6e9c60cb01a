import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import type { StatefulRedisMetricsRegistry } from '../interfaces/stateful-redis-module-options.interface';

/** One of this library's metrics and the name it is registered under. */
export interface LibraryMetric {
  metric: object;
  name: string;
}

/**
 * Registers this library's metrics in `registry`, each unless it already is (a registry cleared by
 * `register.clear()` between tests gets them again); a metric of someone else under one of their names is a
 * `StatefulError` naming the `metrics` option. Returns whether any was registered now.
 */
export function registerLibraryMetrics(
  registry: StatefulRedisMetricsRegistry,
  metrics: readonly LibraryMetric[],
): boolean {
  let registered = false;
  for (const { metric, name } of metrics) {
    const existing = registry.getSingleMetric(name);
    if (existing === metric) continue;
    if (existing !== undefined) {
      throw new StatefulError(
        ErrorCode.INVALID_PARAMETER,
        `Invalid StatefulRedisModule options: the metrics registry already has a metric named "${name}" ` +
          'that this library did not register',
        { field: 'metrics' },
      );
    }
    registry.registerMetric(metric as never);
    registered = true;
  }
  return registered;
}

/** prom-client, or `undefined` when the optional peer dependency is not installed (any other load error is thrown). */
export function optionalPromClient<T>(): T | undefined {
  try {
    return require('prom-client') as T;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && message.includes("'prom-client'")) return undefined;
    throw error;
  }
}
