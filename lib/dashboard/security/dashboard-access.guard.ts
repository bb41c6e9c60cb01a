import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
  Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DASHBOARD_LOGGER_CONTEXT, DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import { isAllowedHost } from './allowed-hosts';
import { DashboardRefusal } from './dashboard-refusal';
import { isExactRoute } from './exact-route';
import type { DashboardRequest } from './http-request';

/** What a `canActivate` may return: a boolean, a promise of one, or an observable (read without importing rxjs). */
type GuardResult = ReturnType<CanActivate['canActivate']>;

interface Subscribable {
  subscribe(observer: { next(value: boolean): void; error(error: unknown): void; complete(): void }): {
    unsubscribe(): void;
  };
}

function isSubscribable(value: unknown): value is Subscribable {
  return typeof (value as Subscribable | null)?.subscribe === 'function';
}

/** The first value of an observable guard result (false if it completes without one), as Nest reads it. */
function firstValue(result: Subscribable): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let done = false;
    const subscription = result.subscribe({
      next: (value) => {
        if (done) return;
        done = true;
        resolve(value);
        queueMicrotask(() => subscription?.unsubscribe());
      },
      error: reject,
      complete: () => resolve(false),
    });
  });
}

/**
 * Runs before every dashboard route: a path that is not exactly the route's gets 404 (`isExactRoute`), a host
 * name not in `allowedHosts` 421, then the configured guard decides (403 when it says no). Each refusal is a
 * `DashboardRefusal`, answered by the dashboard itself. A guard class is taken from the app when
 * a module provides it, else built by the dashboard module's injector (its dependencies must be visible there).
 * Without a guard (read-only only) every route is open, and a warning says so at startup.
 */
@Injectable()
export class DashboardAccessGuard implements CanActivate, OnModuleInit {
  private guard: CanActivate | null = null;

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const logger = new Logger(DASHBOARD_LOGGER_CONTEXT);
    if (this.options.allowedHosts === null)
      logger.log(
        `The dashboard at ${this.options.path} answers to any host name: if its guard trusts where requests come ` +
          'from (loopback, a private network), set allowedHosts to the names operators use, against DNS rebinding',
      );
    const configured = this.options.guard;
    if (configured === null) {
      logger.warn(`The dashboard at ${this.options.path} has no guard: whoever reaches the app can read it`);
      return;
    }
    this.guard = typeof configured === 'function' ? await this.instanceOf(configured) : configured;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DashboardRequest>();
    if (!isExactRoute(request)) throw new DashboardRefusal(HttpStatus.NOT_FOUND, 'Not Found');
    const allowedHosts = this.options.allowedHosts;
    if (allowedHosts !== null && !isAllowedHost(request, allowedHosts))
      throw new DashboardRefusal(
        HttpStatus.MISDIRECTED,
        'Misdirected: this dashboard does not answer to this host name (see its allowedHosts)',
      );
    if (this.guard === null) {
      if (this.options.guard === null) return true;
      throw new DashboardRefusal(HttpStatus.FORBIDDEN, 'Forbidden resource'); // its guard is not built yet
    }
    const result: GuardResult = this.guard.canActivate(context);
    if ((isSubscribable(result) ? await firstValue(result) : await result) === true) return true;
    throw new DashboardRefusal(HttpStatus.FORBIDDEN, 'Forbidden resource');
  }

  private async instanceOf(guardClass: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(guardClass, { strict: false });
    } catch {
      return this.moduleRef.create(guardClass);
    }
  }
}
