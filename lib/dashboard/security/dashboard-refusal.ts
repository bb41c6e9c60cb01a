import { HttpException } from '@nestjs/common';

/**
 * A request the dashboard itself turns away before its route runs (`DashboardAccessGuard`): a path not exactly
 * its route (404), a host name not allowed (421), its configured guard saying no (403). The dashboard answers
 * it (`DashboardRefusalFilter`), not the app's global exception filters; an HTTP exception all the same, the
 * statusCode and message every Nest app answers.
 */
export class DashboardRefusal extends HttpException {
  constructor(statusCode: number, message: string) {
    super({ statusCode, message }, statusCode);
  }
}
