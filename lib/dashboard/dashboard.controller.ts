import { Controller, Get, Inject, Logger, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { scrubText } from '../core/errors/credential-scrubber';
import { StatefulError } from '../core/errors/stateful.error';
import { httpStatusOf } from '../core/filters/stateful-error.filter';
import { ActionRefusal, DashboardActions } from './actions/dashboard-actions';
import { dashboardAssets } from './assets/dashboard-assets';
import { DASHBOARD_LOGGER_CONTEXT, DASHBOARD_RESOLVED_OPTIONS } from './dashboard.constants';
import { dashboardReply, HTML, JSON_TYPE, setDashboardHeaders } from './dashboard-reply';
import type { ResolvedStatefulDashboardOptions } from './interfaces/stateful-dashboard-options.interface';
import { DashboardPageName, renderPage } from './page/dashboard-page';
import { CSRF_COOKIE, CSRF_HEADER, CSRF_TOKEN_LIFETIME_MS, CsrfTokens } from './security/csrf-tokens';
import { DashboardAccessGuard } from './security/dashboard-access.guard';
import { DashboardRefusalFilter } from './security/dashboard-refusal.filter';
import { cookies, DashboardRequest, header, isHttps, isSameOrigin, requestTarget } from './security/http-request';
import type { DashboardView } from './views/dashboard-view.interface';
import { RoutingView } from './views/routing.view';
import { SchedulerView } from './views/scheduler.view';
import { TaskView } from './views/task.view';
import { UserLookupView } from './views/user-lookup.view';

/** An action's arguments: the JSON object posted. */
type Arguments = Record<string, unknown>;

/** A query parameter of the request: the first when repeated, `undefined` when absent. */
function one(request: DashboardRequest, name: string): string | undefined {
  return requestTarget(request).query.get(name) ?? undefined;
}

/** The last segment of the request's path: the asset's or action's name (`isExactRoute` checked its shape). */
function lastSegment(request: DashboardRequest): string {
  const { path } = requestTarget(request);
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The dashboard's routes, under the path the module was registered with (set on a subclass made per
 * registration): the pages, their JSON, the assets and the actions. Every route passes `DashboardAccessGuard`
 * first (exact path, allowed host, the configured guard), whose refusals the dashboard answers itself. The
 * routes read the request themselves and write their responses through the app's HTTP adapter: no `@Query()`,
 * `@Param()` or `@Body()` for the app's global pipes to transform or refuse, no returned value for its global
 * interceptors to wrap or serialize, and Express and Fastify serve the same bytes.
 */
@Controller()
@UseGuards(DashboardAccessGuard)
@UseFilters(DashboardRefusalFilter)
export class DashboardController {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly csrf: CsrfTokens,
    private readonly actions: DashboardActions,
    private readonly routingView: RoutingView,
    private readonly userLookupView: UserLookupView,
    private readonly schedulerView: SchedulerView,
    private readonly taskView: TaskView,
  ) {
    // Read now: a package without its browser files fails at boot, not at the first page.
    dashboardAssets();
  }

  /** The dashboard's own path (without a trailing slash: paths are matched exactly) leads to its first page. */
  @Get()
  home(@Req() request: DashboardRequest, @Res() response: unknown): void {
    const { path } = requestTarget(request);
    const location = `${path.slice(path.lastIndexOf('/') + 1)}/routing`;
    setDashboardHeaders(this.adapterHost.httpAdapter, response, 'no-store');
    this.adapterHost.httpAdapter.redirect(response, 302, location);
  }

  @Get('routing')
  routing(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.page('routing', request, response);
  }

  @Get('users')
  users(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.page('users', request, response);
  }

  @Get('scheduler')
  scheduler(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.page('scheduler', request, response);
  }

  @Get('task')
  task(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.page('task', request, response);
  }

  @Get('assets/:name')
  asset(@Req() request: DashboardRequest, @Res() response: unknown): void {
    const asset = dashboardAssets().get(lastSegment(request));
    if (asset === undefined) {
      this.reply(response, 404, JSON_TYPE, JSON.stringify({ statusCode: 404, message: 'No such asset' }));
      return;
    }
    // Pages ask for the current version: it can be kept for good. Any other URL is checked every time.
    const cache = one(request, 'v') === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache';
    this.reply(response, 200, asset.contentType, asset.body, cache);
  }

  @Get('api/routing')
  apiRouting(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.view(response, () =>
      this.routingView.build({ namespace: one(request, 'namespace'), service: one(request, 'service') }),
    );
  }

  @Get('api/users')
  apiUsers(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.view(response, () =>
      this.userLookupView.build({ namespace: one(request, 'namespace'), uid: one(request, 'uid') }),
    );
  }

  @Get('api/scheduler')
  apiScheduler(@Res() response: unknown): Promise<void> {
    return this.view(response, () => this.schedulerView.build());
  }

  @Get('api/task')
  apiTask(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    return this.view(response, () => this.taskView.build({ id: one(request, 'id') }));
  }

  /**
   * An action: refused when the dashboard is read-only, when the request does not come from a page of this
   * host (`Origin`), or without a page's CSRF token of the browser's cookie, issued within the token lifetime.
   */
  @Post('api/actions/:action')
  async action(@Req() request: DashboardRequest, @Res() response: unknown): Promise<void> {
    const action = lastSegment(request);
    const client = request.ip ?? 'unknown';
    const refuse = (statusCode: number, reason: string, message: string): void => {
      this.actions.refused(action, client, reason);
      this.reply(response, statusCode, JSON_TYPE, JSON.stringify({ statusCode, message }));
    };
    try {
      if (this.options.readOnly)
        return refuse(
          403,
          'read-only',
          'The dashboard is read-only: register it with readOnly: false, a guard and allowedHosts',
        );
      if (!DashboardActions.isAction(action)) return refuse(404, 'unknown action', 'No such action');
      if (!isSameOrigin(request))
        return refuse(403, 'not from a page of this host', 'Refused: the request does not come from this dashboard');
      const token = await this.csrf.check(cookies(request).get(CSRF_COOKIE), header(request, CSRF_HEADER));
      if (token === 'expired')
        return refuse(
          403,
          'expired CSRF token',
          `Refused: this page's token has expired (a page's token lasts ${CSRF_TOKEN_LIFETIME_MS / 60_000} min); ` +
            'reload the page and try again',
        );
      if (token !== 'valid')
        return refuse(403, 'missing or wrong CSRF token', 'Refused: no valid token; reload the page and try again');
      const body = request.body;
      const args = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Arguments) : {};
      const outcome = await this.actions.run(action, args, client);
      this.reply(response, 200, JSON_TYPE, JSON.stringify({ statusCode: 200, message: outcome.message }));
    } catch (error) {
      this.fail(response, error);
    }
  }

  private async page(page: DashboardPageName, request: DashboardRequest, response: unknown): Promise<void> {
    let csrfToken: string | undefined;
    if (!this.options.readOnly) {
      let browserId = cookies(request).get(CSRF_COOKIE);
      if (!this.csrf.isBrowserId(browserId)) {
        browserId = this.csrf.newBrowserId();
        const { path } = requestTarget(request);
        const cookiePath = path.slice(0, path.lastIndexOf('/')) || '/';
        const secure = isHttps(request) ? '; Secure' : '';
        this.adapterHost.httpAdapter.setHeader(
          response,
          'Set-Cookie',
          `${CSRF_COOKIE}=${browserId}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure}`,
        );
      }
      csrfToken = await this.csrf.tokenFor(browserId).catch((error: Error) => {
        // The page still shows; its actions are refused until a reload finds Redis again.
        this.logger.warn(`No CSRF token for a dashboard page: ${scrubText(error.message)}`);
        return undefined;
      });
    }
    this.reply(response, 200, HTML, renderPage(page, { actions: !this.options.readOnly, csrfToken }));
  }

  private async view(response: unknown, build: () => Promise<DashboardView>): Promise<void> {
    try {
      this.reply(response, 200, JSON_TYPE, JSON.stringify(await build()));
    } catch (error) {
      this.fail(response, error);
    }
  }

  /** A failure as JSON: the service's message for bad input and the like, a generic one for 5xx (the log has it). */
  private fail(response: unknown, error: unknown): void {
    let statusCode = 500;
    let message = 'The dashboard failed; the application log says why';
    if (error instanceof ActionRefusal) {
      statusCode = error.statusCode;
      message = error.message;
    } else if (error instanceof StatefulError) {
      statusCode = httpStatusOf(error.code);
      message =
        statusCode < 500 ? error.message : `${error.code}: Redis could not answer; the application log says why`;
    }
    if (statusCode >= 500) {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.logger.error(`Dashboard request failed: ${scrubText(detail)}`);
    }
    this.reply(response, statusCode, JSON_TYPE, JSON.stringify({ statusCode, message }));
  }

  private reply(response: unknown, statusCode: number, contentType: string, body: string, cache = 'no-store'): void {
    dashboardReply(this.adapterHost.httpAdapter, response, statusCode, contentType, body, cache);
  }
}
