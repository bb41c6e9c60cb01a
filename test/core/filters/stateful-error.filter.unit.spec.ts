import { Controller, Get, INestApplication, Logger, Param } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ErrorCode, StatefulError, StatefulErrorFilter, httpStatusOf } from '../../../lib';
import { recordingHttpHost } from '../../harness/recording-http-host';

const EXPECTED_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  REDIS_CONNECTION_ERROR: 503,
  TIMEOUT: 503,
  CLUSTER_RESHARDING: 503,
  REDIS_OPERATION_ERROR: 500,
  LUA_SCRIPT_ERROR: 500,
  NOT_INITIALIZED: 500,
};

const SECRET_DETAIL = 'redis://:hunter2@10.0.0.7:6379 WRONGTYPE';

/** The 4xx codes: the client is told the message as it is (it describes the client's own input). */
const CLIENT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  INVALID_PARAMETER: 'getLinkedPod: invalid parameter "uid": must not be empty',
  NOT_FOUND: 'getRuns: no scheduled task with id "nightly"',
  ALREADY_EXISTS: 'addTask: a scheduled task with id "nightly" already exists',
};

function errorFor(code: ErrorCode): StatefulError {
  if (code === ErrorCode.INVALID_PARAMETER) {
    return new StatefulError(code, CLIENT_MESSAGES[code]!, { field: 'uid', operation: 'getLinkedPod' });
  }
  const clientMessage = CLIENT_MESSAGES[code];
  if (clientMessage !== undefined)
    return new StatefulError(code, clientMessage, { operation: clientMessage.split(':')[0] });
  return new StatefulError(code, `getLinkedPod(uid="a") failed: ${SECRET_DETAIL}`, { operation: 'getLinkedPod' });
}

@Controller('fail')
class FailingController {
  @Get(':code')
  fail(@Param('code') code: ErrorCode): never {
    throw errorFor(code);
  }
}

describe('StatefulErrorFilter', () => {
  it('maps every code: INVALID_PARAMETER 400, NOT_FOUND 404, ALREADY_EXISTS 409, connection, timeout and resharding 503, others 500', () => {
    assert.deepEqual(Object.keys(EXPECTED_STATUS).sort(), Object.values(ErrorCode).sort(), 'a new code needs a status');
    for (const code of Object.values(ErrorCode)) assert.equal(httpStatusOf(code), EXPECTED_STATUS[code], code);
  });

  for (const [registration, install] of [
    ['APP_FILTER provider (HttpAdapterHost injected)', (app: INestApplication) => app] as const,
    [
      'app.useGlobalFilters(new StatefulErrorFilter())',
      (app: INestApplication) => app.useGlobalFilters(new StatefulErrorFilter()),
    ] as const,
    [
      'app.useGlobalFilters(new StatefulErrorFilter(app.get(HttpAdapterHost)))',
      (app: INestApplication) => app.useGlobalFilters(new StatefulErrorFilter(app.get(HttpAdapterHost))),
    ] as const,
  ]) {
    describe(`over HTTP (Express), registered as ${registration}`, () => {
      let app: INestApplication;
      const logged: string[] = [];

      before(async () => {
        const providers = registration.startsWith('APP_FILTER')
          ? [{ provide: APP_FILTER, useClass: StatefulErrorFilter }]
          : [];
        const moduleRef = await Test.createTestingModule({ controllers: [FailingController], providers }).compile();
        app = moduleRef.createNestApplication({ logger: false });
        install(app);
        await app.init();
        Logger.overrideLogger({
          log() {},
          warn() {},
          debug() {},
          verbose() {},
          fatal() {},
          error: (message: unknown) => void logged.push(String(message)),
        });
      });

      after(async () => {
        await app?.close();
        Logger.overrideLogger(false);
      });

      for (const code of Object.values(ErrorCode)) {
        it(`${code} -> ${EXPECTED_STATUS[code]} with a JSON body carrying the code`, async () => {
          const response = await request(app.getHttpServer()).get(`/fail/${code}`);
          assert.equal(response.status, EXPECTED_STATUS[code]);
          assert.match(response.headers['content-type'], /application\/json/);
          if (code === ErrorCode.INVALID_PARAMETER) {
            assert.deepEqual(response.body, {
              statusCode: 400,
              code,
              message: 'getLinkedPod: invalid parameter "uid": must not be empty',
              field: 'uid',
            });
          } else if (CLIENT_MESSAGES[code] !== undefined) {
            // A 4xx about an id: the message names it, there is no field, nothing is logged as an error.
            assert.deepEqual(response.body, {
              statusCode: EXPECTED_STATUS[code],
              code,
              message: CLIENT_MESSAGES[code],
            });
            assert.equal(
              logged.some((text) => text.includes(code)),
              false,
            );
          } else {
            assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'statusCode']);
            assert.equal(response.body.statusCode, EXPECTED_STATUS[code]);
            assert.equal(response.body.code, code);
            // A 5xx tells the client what kind of failure, not the inputs, endpoint or Redis reply...
            assert.doesNotMatch(response.body.message, /hunter2|10\.0\.0\.7|WRONGTYPE|uid=/);
            // ...which go to the log, but for the URL's password (a StatefulError never holds one).
            const line = logged.find((text) => text.includes(code) && text.includes('@10.0.0.7:6379 WRONGTYPE'));
            assert.ok(line, `logged: ${logged.join('\n')}`);
            assert.doesNotMatch(logged.join('\n'), /hunter2/);
          }
        });
      }
    });
  }

  it('answers through a Fastify-style reply when no adapter host is available', () => {
    const { host, sent } = recordingHttpHost();
    new StatefulErrorFilter().catch(errorFor(ErrorCode.INVALID_PARAMETER), host);
    assert.equal(sent.status, 400);
    assert.deepEqual(sent.body, {
      statusCode: 400,
      code: ErrorCode.INVALID_PARAMETER,
      message: 'getLinkedPod: invalid parameter "uid": must not be empty',
      field: 'uid',
    });
  });
});
