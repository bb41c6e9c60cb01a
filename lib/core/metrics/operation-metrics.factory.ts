import type {
  StatefulRedisMetricsOptions,
  StatefulRedisMetricsRegistry,
} from '../interfaces/stateful-redis-module-options.interface';
import { OperationMetrics } from './operation-metrics';

/** prom-client's default registry, or `undefined` when the optional peer dependency is not installed. */
export function defaultPromRegistry(): StatefulRedisMetricsRegistry | undefined {
  try {
    return (require('prom-client') as { register: StatefulRedisMetricsRegistry }).register;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && message.includes("'prom-client'")) return undefined;
    throw error;
  }
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
