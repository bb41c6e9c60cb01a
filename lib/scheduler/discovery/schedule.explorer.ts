import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ErrorCode } from '../../core/errors/error-code';
import { startupFailure } from '../../core/errors/startup-failure';
import { StatefulError } from '../../core/errors/stateful.error';
import {
  DISTRIBUTED_CRON_METADATA,
  DistributedCronMetadata,
  SCHEDULED_WORKFLOW_METADATA,
  ScheduledWorkflowMetadata,
} from '../decorators/schedule-metadata';
import type { ScheduledRunContext } from '../interfaces/scheduled-run-context.interface';
import { WorkflowRegistry } from '../runtime/workflow-registry';
import { validateDecoratedTask } from '../validation/task-input.validator';

type MethodHost = Record<string, (run: ScheduledRunContext) => unknown>;

/**
 * Finds the `@DistributedCron` and `@ScheduledWorkflow` methods of every provider and controller, as
 * `@nestjs/schedule` does (DiscoveryService + MetadataScanner), and registers them. Static providers only: a
 * request-scoped one has no instance outside a request, so a schedule on it could never run; it stops the app.
 * A method refused stops the app's startup with one ERROR line.
 */
@Injectable()
export class ScheduleExplorer implements OnModuleInit {
  private readonly logger = new Logger('DistributedScheduler');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: WorkflowRegistry,
  ) {}

  onModuleInit(): void {
    try {
      this.exploreAll();
    } catch (error) {
      throw startupFailure(this.logger, error);
    }
  }

  private exploreAll(): void {
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      if (wrapper.isAlias) continue;
      const instance = wrapper.instance as MethodHost | undefined;
      const prototype = wrapper.isDependencyTreeStatic()
        ? instance && Object.getPrototypeOf(instance)
        : wrapper.metatype?.prototype;
      if (!prototype || seen.has(instance ?? prototype)) continue;
      seen.add(instance ?? prototype);
      for (const method of this.scanner.getAllMethodNames(prototype))
        this.explore(wrapper, instance, prototype, method);
    }
  }

  private explore(
    wrapper: InstanceWrapper,
    instance: MethodHost | undefined,
    prototype: MethodHost,
    method: string,
  ): void {
    const target = prototype[method];
    const cron = this.reflector.get<DistributedCronMetadata | undefined>(DISTRIBUTED_CRON_METADATA, target);
    const workflow = this.reflector.get<ScheduledWorkflowMetadata | undefined>(SCHEDULED_WORKFLOW_METADATA, target);
    if (!cron && !workflow) return;
    const decorator = cron ? '@DistributedCron' : '@ScheduledWorkflow';
    const where = `${wrapper.metatype?.name ?? wrapper.name}.${method}`;
    if (!wrapper.isDependencyTreeStatic() || !instance) {
      throw new StatefulError(
        ErrorCode.INVALID_PARAMETER,
        `${decorator} on ${where}: ${String(wrapper.name)} is request-scoped ` +
          '(or depends on a request-scoped provider); scheduled methods must live in a static (singleton) provider, ' +
          'which has an instance outside requests',
        { operation: decorator },
      );
    }
    if (cron && workflow) {
      throw new StatefulError(
        ErrorCode.INVALID_PARAMETER,
        `${where} has both @DistributedCron and @ScheduledWorkflow: use one`,
        {
          operation: decorator,
        },
      );
    }
    const handler = (run: ScheduledRunContext) => target.call(instance, run);
    const operation = `${decorator}(${where})`;
    if (cron) {
      const definition = validateDecoratedTask(operation, cron.cron, cron.options);
      this.registry.register(operation, definition.workflow, handler);
      this.registry.declare(operation, definition);
    } else {
      this.registry.register(operation, workflow!.name, handler);
    }
  }
}
