// Boots the consumer app's AppModule (StatefulRedisModule.forRootAsync against $REDIS_URL) and runs the smoke check.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { smokeCheck } from './smoke-check.js';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    const notes = await smokeCheck(app);
    console.log(`smoke check passed: ${notes.join('; ')}`);
  } finally {
    await app.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
