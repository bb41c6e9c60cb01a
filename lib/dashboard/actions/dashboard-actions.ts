import { Injectable, Logger } from '@nestjs/common';
import { invalidParameter } from '../../core/errors/invalid-parameter';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_LOGGER_CONTEXT } from '../dashboard.constants';
import type { DashboardActionName } from '../views/dashboard-view.interface';
import { ServiceDirectory } from '../views/service-directory';

/** What an action did, in words for the page. */
export interface ActionOutcome {
  message: string;
}

/** An action refused before it ran: the status to answer and why. */
export class ActionRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

type Arguments = Record<string, unknown>;

function text(action: string, args: Arguments, field: string): string {
  const value = args[field];
  if (typeof value !== 'string') throw invalidParameter(action, field, 'must be a string', value);
  return value;
}

function podId(action: string, args: Arguments): number {
  const value = args.podId;
  if (typeof value !== 'number') throw invalidParameter(action, 'podId', 'must be a number', value);
  return value;
}

/**
 * The dashboard's actions, run on the services of the app: they validate their arguments like the services
 * do (the services validate again), stay inside the dashboard's namespaces, and are logged with their
 * arguments, who asked (the client address) and the outcome.
 */
@Injectable()
export class DashboardActions {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);

  constructor(
    private readonly sources: DashboardSources,
    private readonly directory: ServiceDirectory,
  ) {}

  /** Whether `name` is an action of the dashboard. */
  static isAction(name: string): name is DashboardActionName {
    return ['set-pod-state', 'sweep-pod-links', 'trigger-task', 'enable-task', 'disable-task'].includes(name);
  }

  /** Runs an action and logs it; rejects with an `ActionRefusal` or the service's `StatefulError`. */
  async run(action: DashboardActionName, args: Arguments, client: string): Promise<ActionOutcome> {
    const described = `${action} ${JSON.stringify(args)} from ${client}`;
    try {
      const outcome = await this.perform(action, args);
      this.logger.log(`Action ${described}: ${outcome.message}`);
      return outcome;
    } catch (error) {
      this.logger.warn(`Action ${described} failed: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Logs an action refused before it could run (read-only, CSRF). */
  refused(action: string, client: string, reason: string): void {
    this.logger.warn(`Action ${JSON.stringify(action)} from ${client} refused: ${reason}`);
  }

  private async perform(action: DashboardActionName, args: Arguments): Promise<ActionOutcome> {
    switch (action) {
      case 'set-pod-state': {
        const [namespace, serviceName, pod] = this.podTarget(action, args);
        const state = text(action, args, 'state');
        // An operator's drain is no sign of life of the pod: its liveness entry is left as the pod last wrote it.
        await this.sources.routing.setServiceState(namespace, serviceName, pod, state, { asPodReport: false });
        return { message: `Pod ${pod} of ${serviceName} is now ${state}` };
      }
      case 'sweep-pod-links': {
        const [namespace, serviceName, pod] = this.podTarget(action, args);
        const removed = await this.sources.routing.removePodLinks(namespace, serviceName, pod);
        return { message: `Removed ${removed} link${removed === 1 ? '' : 's'} to pod ${pod} of ${serviceName}` };
      }
      default:
        return this.taskAction(action, text(action, args, 'id'));
    }
  }

  private async taskAction(
    action: 'trigger-task' | 'enable-task' | 'disable-task',
    id: string,
  ): Promise<ActionOutcome> {
    const scheduler = this.sources.scheduler;
    if (scheduler === null) throw new ActionRefusal(404, 'This application has no scheduler');
    if (action === 'trigger-task') {
      await scheduler.triggerTask(id);
      return { message: `Task ${id} triggered: it runs now on a replica with a free slot` };
    }
    const task = action === 'enable-task' ? await scheduler.enableTask(id) : await scheduler.disableTask(id);
    return { message: `Task ${task.name} is now ${task.enabled ? 'enabled' : 'disabled'}` };
  }

  private podTarget(action: string, args: Arguments): [string, string, number] {
    const namespace = text(action, args, 'namespace');
    if (!this.directory.allows(namespace))
      throw new ActionRefusal(403, 'This namespace is not shown by this dashboard');
    return [namespace, text(action, args, 'serviceName'), podId(action, args)];
  }
}
