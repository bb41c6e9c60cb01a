import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** What `main.ts` adds to the app besides the module (the e2e tests do the same): the OpenAPI document and UI at /docs. */
export function setUpApp(app: INestApplication): INestApplication {
  const config = new DocumentBuilder()
    .setTitle('Stateful routing gateway')
    .setDescription(
      'Sticky, race-free routing of users to the pods of stateful services, and distributed scheduled tasks that run once per fire across the replicas (nestjs-stateful-redis sample)',
    )
    .setVersion('1.0')
    .build();
  // The JSON document is at /docs-json.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
  return app;
}
