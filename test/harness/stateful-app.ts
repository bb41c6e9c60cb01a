import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { StatefulError, StatefulExecutorService, StatefulRedisModule, StatefulRedisModuleOptions } from '../../lib';
import { silentLogger } from './capturing-logger';

export interface StatefulApp {
  app: INestApplicationContext;
  service: StatefulExecutorService;
  close(): Promise<void>;
}

export interface CompileExtras {
  /** Modules imported before `StatefulRedisModule.forRoot(options)`, e.g. `TerminusModule`. */
  imports?: unknown[];
  /** The Nest logger; silent when absent. */
  logger?: LoggerService;
}

/** Compiles (without initialising) a testing module importing `StatefulRedisModule.forRoot(options)`. */
export function compileStatefulModule(
  options: StatefulRedisModuleOptions,
  extras: CompileExtras = {},
): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [...((extras.imports ?? []) as never[]), StatefulRedisModule.forRoot(options)],
  })
    .setLogger(extras.logger ?? silentLogger)
    .compile();
}

/** Compiles and initialises a testing module of these imports and providers, with a silent logger. */
export async function bootTestingModule(imports: unknown[], providers: unknown[] = []): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] })
    .setLogger(silentLogger)
    .compile();
  await moduleRef.init();
  return moduleRef;
}

/** Compiles and initialises a testing module importing `StatefulRedisModule.forRoot(options)`. */
export async function bootStatefulModule(
  options: StatefulRedisModuleOptions,
  extras: CompileExtras = {},
): Promise<TestingModule> {
  const moduleRef = await compileStatefulModule(options, extras);
  await moduleRef.init();
  return moduleRef;
}

/** Boots `StatefulRedisModule.forRoot(options)` in a Nest application context. */
export async function startStatefulApp(options: StatefulRedisModuleOptions): Promise<StatefulApp> {
  const moduleRef = await compileStatefulModule(options);
  const app = await moduleRef.init();
  return { app, service: app.get(StatefulExecutorService), close: () => app.close() };
}

/** Runs `action` and returns the StatefulError it rejects with and how long that took. */
export async function failure(action: () => Promise<unknown>): Promise<{ error: StatefulError; elapsedMs: number }> {
  const started = Date.now();
  try {
    await action();
  } catch (error) {
    assert.ok(
      error instanceof StatefulError,
      `expected a StatefulError, got ${String((error as Error)?.stack ?? error)}`,
    );
    return { error, elapsedMs: Date.now() - started };
  }
  assert.fail('expected a rejection');
}

/** Compiles the module and expects its init to reject with a StatefulError; closes it; the error and init's time. */
export async function startupFailure(
  options: StatefulRedisModuleOptions,
  extras: CompileExtras = {},
): Promise<{ error: StatefulError; elapsedMs: number }> {
  const moduleRef = await compileStatefulModule(options, extras);
  try {
    return await failure(() => moduleRef.init());
  } finally {
    await moduleRef.close();
  }
}
