import type {
  StatefulRedisMetricsOptions,
  StatefulRedisMetricsRegistry,
} from '../interfaces/stateful-redis-module-options.interface';
import { optionalPromClient } from './library-metrics-registration';
import { OperationMetrics } from './operation-metrics';

/** prom-client's default registry, or `undefined` when the optional peer dependency is not installed. */
export function defaultPromRegistry(): StatefulRedisMetricsRegistry | undefined {
  return optionalPromClient<{ register: StatefulRedisMetricsRegistry }>()?.register;
}

/**
 * The operation metrics the `metrics` option asks for: `null` when it is `false`, or when no registry is
 * given and prom-client is not installed; else those of the given registry or prom-client's default one.
 */
export function createOperationMetrics(
  option: boolean | StatefulRedisMetricsOptions,
  defaultRegistry: () => StatefulRedisMetricsRegistry | undefined = defaultPromRegistry,
): OperationMetrics | null {
  if (option === false) return null;
  const registry = (option !== true && option.registry) || defaultRegistry();
  return registry ? OperationMetrics.for(registry) : null;
}
