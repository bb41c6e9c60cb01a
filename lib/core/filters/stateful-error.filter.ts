import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';

/** The JSON body `StatefulErrorFilter` answers with. */
export interface StatefulErrorResponseBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  /** The argument at fault, for `INVALID_PARAMETER`. */
  field?: string;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, HttpStatus>> = {
  [ErrorCode.INVALID_PARAMETER]: HttpStatus.BAD_REQUEST,
  [ErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.ALREADY_EXISTS]: HttpStatus.CONFLICT,
  [ErrorCode.REDIS_CONNECTION_ERROR]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.TIMEOUT]: HttpStatus.SERVICE_UNAVAILABLE,
  // Transient and nothing was written: the client may retry, as for a timeout.
  [ErrorCode.CLUSTER_RESHARDING]: HttpStatus.SERVICE_UNAVAILABLE,
};

/** What a client is told on a 5xx; the full message (inputs, Redis endpoint and reply) goes to the log only. */
const PUBLIC_MESSAGE_BY_CODE: Record<ErrorCode, string> = {
  [ErrorCode.INVALID_PARAMETER]: 'Invalid parameter',
  [ErrorCode.NOT_FOUND]: 'Not found',
  [ErrorCode.ALREADY_EXISTS]: 'Already exists',
  [ErrorCode.REDIS_CONNECTION_ERROR]: 'Redis is unreachable',
  [ErrorCode.TIMEOUT]: 'Redis did not answer in time',
  [ErrorCode.CLUSTER_RESHARDING]: 'Redis is moving data between nodes; retry shortly',
  [ErrorCode.REDIS_OPERATION_ERROR]: 'Redis rejected the operation',
  [ErrorCode.LUA_SCRIPT_ERROR]: 'A Redis script failed',
  [ErrorCode.NOT_INITIALIZED]: 'The service is not ready',
};

/**
 * The HTTP status of a `StatefulError` code: 400 for `INVALID_PARAMETER`, 404 for `NOT_FOUND`, 409 for
 * `ALREADY_EXISTS`, 503 for connection, timeout and resharding (worth a retry), else 500.
 */
export function httpStatusOf(code: ErrorCode): HttpStatus {
  return STATUS_BY_CODE[code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * HTTP exception filter for `StatefulError`: status by code (see `httpStatusOf`) and a JSON body
 * `{ statusCode, code, message, field? }`. Register it with `{ provide: APP_FILTER, useClass: StatefulErrorFilter }`
 * or `app.useGlobalFilters(new StatefulErrorFilter())`; works on Express and Fastify.
 */
@Catch(StatefulError)
export class StatefulErrorFilter implements ExceptionFilter<StatefulError> {
  private readonly logger = new Logger('StatefulErrorFilter');

  constructor(@Optional() private readonly httpAdapterHost?: HttpAdapterHost) {}

  catch(error: StatefulError, host: ArgumentsHost): void {
    const statusCode = httpStatusOf(error.code);
    const body: StatefulErrorResponseBody = {
      statusCode,
      code: error.code,
      message: statusCode < HttpStatus.INTERNAL_SERVER_ERROR ? error.message : PUBLIC_MESSAGE_BY_CODE[error.code],
    };
    if (error.field !== undefined) body.field = error.field;
    if (statusCode >= HttpStatus.INTERNAL_SERVER_ERROR)
      this.logger.error(`${error.code}: ${error.message}`, error.stack);
    const response = host.switchToHttp().getResponse();
    const adapter = this.httpAdapterHost?.httpAdapter;
    if (adapter) adapter.reply(response, body, statusCode);
    else replyWithoutAdapter(response, statusCode, body);
  }
}

/**
 * The two response shapes a Nest HTTP platform hands out: Express (`status().json()`) and Fastify (`code().send()`).
 */
interface HttpResponse {
  status?: (statusCode: number) => HttpResponse;
  json?: (body: unknown) => unknown;
  code?: (statusCode: number) => HttpResponse;
  send?: (body: unknown) => unknown;
}

/** For `new StatefulErrorFilter()` without the adapter host: Express or Fastify (whose `status` has no `json`). */
function replyWithoutAdapter(response: HttpResponse, statusCode: number, body: StatefulErrorResponseBody): void {
  if (response.status && response.json) response.status(statusCode).json?.(body);
  else response.code?.(statusCode).send?.(body);
}
