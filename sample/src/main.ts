import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { isLoggedStartupFailure } from 'nestjs-stateful-redis';
import { AppModule } from './app.module';
import { setUpApp } from './app.setup';

async function bootstrap(): Promise<void> {
  const app = setUpApp(await NestFactory.create(AppModule));
  // SIGTERM / Ctrl-C close the app: the library closes its Redis connection.
  app.enableShutdownHooks();
  const config = app.get(ConfigService);
  await app.listen(Number(config.get('PORT', 3000)), config.get<string>('HOST', '0.0.0.0'));
  new Logger('Gateway').log(
    `Listening on ${await app.getUrl()} (OpenAPI UI at /docs, health at /health, metrics at /metrics)`,
  );
}

bootstrap().catch((error: unknown) => {
  // The library has logged its own failures already (e.g. REDIS_CONNECTION_ERROR: "Startup failed: Cannot connect to
  // Redis at 127.0.0.1:6379 within 10000 ms: ..."); anything else is logged here. Exit code 1, no rejection dump.
  if (!isLoggedStartupFailure(error)) {
    new Logger('Gateway').fatal(`Could not start: ${String(error)}`, error instanceof Error ? error.stack : undefined);
  }
  process.exit(1);
});
