/**
 * The message of a feature used in an app that does not import `StatefulRedisModule` (code NOT_INITIALIZED): it
 * names the feature, the module it needs and how to add it.
 */
export function missingCoreMessage(owner: string): string {
  return (
    `${owner} uses the Redis connection of StatefulRedisModule, which this application does not import: ` +
    'add StatefulRedisModule.forRoot(...) or StatefulRedisModule.forRootAsync(...) to its imports'
  );
}
