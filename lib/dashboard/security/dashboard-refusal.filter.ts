import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { dashboardReply, JSON_TYPE } from '../dashboard-reply';
import { DashboardRefusal } from './dashboard-refusal';

/**
 * Answers the dashboard's own refusals itself, bound to its controller (Nest asks a controller's filters before
 * the app's global ones): an app's catch-all filter would answer them in its own shape, or as a page. The
 * refusals of the app's global guards, and whatever the configured guard throws, stay the app's to answer.
 */
@Injectable()
@Catch(DashboardRefusal)
export class DashboardRefusalFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(refusal: DashboardRefusal, host: ArgumentsHost): void {
    const statusCode = refusal.getStatus();
    const body = JSON.stringify({ statusCode, message: refusal.message });
    dashboardReply(this.adapterHost.httpAdapter, host.switchToHttp().getResponse(), statusCode, JSON_TYPE, body);
  }
}
