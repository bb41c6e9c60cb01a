import { Injectable } from '@nestjs/common';
import { invalidParameter } from '../../core/errors/invalid-parameter';
import type { ScheduledHandler } from '../interfaces/scheduled-run-context.interface';
import type { TaskDefinition } from '../validation/task-definition';
import { assertTaskName } from '../validation/task-input.validator';

/** The workflows this replica runs (it claims runs of these only), and the tasks declared in code. */
@Injectable()
export class WorkflowRegistry {
  private readonly handlers = new Map<string, ScheduledHandler>();
  /** Who registered each workflow (`@ScheduledWorkflow(Class.method)`, `registerWorkflow`), for a duplicate's error. */
  private readonly registeredBy = new Map<string, string>();
  private readonly declared = new Map<string, TaskDefinition>();
  private readonly declaredBy = new Map<string, string>();
  private readonly listeners: Array<() => void> = [];

  /** Adds a workflow; a name already registered is refused (two handlers for one name would be a coin toss). */
  register(operation: string, name: unknown, handler: unknown): void {
    assertTaskName(operation, 'name', name);
    if (typeof handler !== 'function') throw invalidParameter(operation, 'fn', 'must be a function', handler);
    const first = this.registeredBy.get(name);
    if (first !== undefined)
      throw invalidParameter(operation, 'name', `is already registered as a workflow by ${first}`, name);
    this.handlers.set(name, handler as ScheduledHandler);
    this.registeredBy.set(name, operation);
    for (const listener of this.listeners) listener();
  }

  /** A task declared with `@DistributedCron`; its workflow is registered separately. */
  declare(operation: string, definition: TaskDefinition): void {
    const first = this.declaredBy.get(definition.id);
    if (first !== undefined)
      throw invalidParameter(operation, 'name', `is already declared by ${first}`, definition.id);
    this.declared.set(definition.id, definition);
    this.declaredBy.set(definition.id, operation);
  }

  handler(name: string): ScheduledHandler | undefined {
    return this.handlers.get(name);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** The registered workflow names, sorted. */
  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  declaredTasks(): TaskDefinition[] {
    return [...this.declared.values()];
  }

  /** Called after every new workflow (the loop wakes to announce and claim it). */
  onRegister(listener: () => void): void {
    this.listeners.push(listener);
  }
}
