import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StatefulExecutorService, StatefulRedisModule, StatefulRedisModuleOptions } from '../../lib';
import { LINGER_SECONDS, SERVICE, namespaceFor, uids } from '../workload';
import type { Implementation, Operation } from './implementation';
import { workloadOperations } from './workload-operations';

/** `StatefulExecutorService` in a Nest application context, as an app would use it. */
export async function library(
  name: string,
  options: StatefulRedisModuleOptions,
  only?: readonly Operation[],
): Promise<Implementation> {
  @Module({ imports: [StatefulRedisModule.forRoot(options)] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const service = app.get(StatefulExecutorService);
  const namespace = namespaceFor(name);

  const operations = workloadOperations({
    get: (uid) => service.getLinkedPod(namespace, uid, SERVICE),
    trySet: (uid, pod) => service.trySetLinkedPod(namespace, uid, SERVICE, pod, -1),
    setIfAbsent: (uid, pod) => service.setLinkedPodIfAbsent(namespace, uid, SERVICE, pod, -1),
    compute: (uid) => service.computeLinkedPodIfAbsent(namespace, uid, SERVICE, -1),
    remove: (uid) => service.removeLinkedPod(namespace, uid, SERVICE, LINGER_SECONDS),
    linkService: (uid) => service.getLinkService(namespace, uid),
    batchGet: (batch) => service.batchGetLinkedPod(namespace, batch, SERVICE),
  });
  return {
    name,
    namespace,
    operations: only ? Object.fromEntries(only.map((operation) => [operation, operations[operation]])) : operations,
    service,
    warm: async (index) => {
      await service.getLinkedPod(namespace, uids[index], SERVICE);
      return service.getLinkService(namespace, uids[index]);
    },
    close: () => app.close(),
  } as Implementation & { service: StatefulExecutorService };
}
