import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
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

bootstrap().catch((error: Error) => {
  // e.g. REDIS_CONNECTION_ERROR: "Cannot connect to Redis at 127.0.0.1:6379 within 10000 ms: ..."
  new Logger('Gateway').fatal(`Could not start: ${error.message}`);
  process.exit(1);
});
