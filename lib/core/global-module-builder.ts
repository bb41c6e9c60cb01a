import { ConfigurableModuleBuilder } from '@nestjs/common';

/**
 * The definition of a module configured once per app with `forRoot` / `forRootAsync` and a factory method named
 * `factoryMethodName`. Global by default, like ScheduleModule.forRoot(), BullModule.forRoot() and
 * @liaoliaots/nestjs-redis: a controller of any feature module injects its services; `isGlobal: false` keeps them to
 * the modules that import it.
 */
export function buildGlobalModule<Options, FactoryMethod extends string>(
  moduleName: string,
  factoryMethodName: FactoryMethod,
) {
  return new ConfigurableModuleBuilder<Options>({ moduleName })
    .setClassMethodName('forRoot')
    .setFactoryMethodName(factoryMethodName)
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
}
