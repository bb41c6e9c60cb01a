import type { ConfigurableModuleAsyncOptions, Type } from '@nestjs/common';

export interface DistributedScheduleModuleOptions {
  /**
   * Scheduler namespace: apps sharing a Redis keep separate task sets; default `default` (same rules as a routing
   * namespace).
   */
  namespace?: string;
  /** This replica's id, shown in stats and run history; default a random UUID. */
  instanceId?: string;
  /** Runs this replica executes at once; default 5. */
  maxConcurrent?: number;
  /** A run's lease, renewed every `leaseMs / 3` while its handler runs; default 30000. */
  leaseMs?: number;
  /** Longest sleep between looks at the due tasks; default 1000. */
  pollIntervalMs?: number;
  /**
   * How long before its time a fire may be claimed (ms of Redis time); its handler still starts at its time, on
   * a local timer, and the claimed run holds a slot meanwhile; 0 claims fires only once due; default 500.
   */
  lookAheadMs?: number;
  /** History entries kept per task; default 20. */
  historyLength?: number;
  /** Graceful stop waits this long for running handlers, then aborts them; default 10000. */
  shutdownTimeoutMs?: number;
}

/** Options with every default applied. */
export type ResolvedDistributedScheduleOptions = Required<DistributedScheduleModuleOptions>;

/** A class that makes the module options, for `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`. */
export interface DistributedScheduleOptionsFactory {
  createDistributedScheduleOptions(): DistributedScheduleModuleOptions | Promise<DistributedScheduleModuleOptions>;
}

/** The options of `DistributedScheduleModule.forRootAsync`. */
export interface DistributedScheduleModuleAsyncOptions extends ConfigurableModuleAsyncOptions<
  DistributedScheduleModuleOptions,
  'createDistributedScheduleOptions'
> {
  /** A class implementing `DistributedScheduleOptionsFactory`, instantiated by the module. */
  useClass?: Type<DistributedScheduleOptionsFactory>;
  /** A provider implementing `DistributedScheduleOptionsFactory`, e.g. exported by one of `imports`. */
  useExisting?: Type<DistributedScheduleOptionsFactory>;
  /**
   * Default `true`: every module may inject the scheduler service without importing it; `false` limits it to importers.
   */
  isGlobal?: boolean;
}
