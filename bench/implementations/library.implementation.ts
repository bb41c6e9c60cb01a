import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StatefulExecutorService, StatefulRedisModule, StatefulRedisModuleOptions } from '../../lib';
import {
  GATEWAY_COMPUTE,
  GATEWAY_GET,
  LINGER_SECONDS,
  SERVICE,
  batchAt,
  namespaceFor,
  gatewayKindAt,
  gatewayUserAt,
  seededPod,
  uids,
  userAt,
} from '../workload';
import type { Implementation, Operation, OperationCall } from './implementation';

/** `StatefulExecutorService` in a Nest application context, as an app would use it. */
export async function library(name: string, options: StatefulRedisModuleOptions, only?: readonly Operation[]): Promise<Implementation> {
  @Module({ imports: [StatefulRedisModule.forRoot(options)] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const service = app.get(StatefulExecutorService);
  const namespace = namespaceFor(name);

  const operations: Record<Operation, OperationCall> = {
    getLinkedPod: (i) => service.getLinkedPod(namespace, uids[userAt(i)], SERVICE),
    trySetLinkedPod: (i) => {
      const user = userAt(i);
      return service.trySetLinkedPod(namespace, uids[user], SERVICE, seededPod(user), -1);
    },
    setLinkedPodIfAbsent: (i) => service.setLinkedPodIfAbsent(namespace, `absent-${i}`, SERVICE, seededPod(i), -1),
    computeLinkedPodIfAbsent: (i) => service.computeLinkedPodIfAbsent(namespace, `compute-${i}`, SERVICE, -1),
    removeLinkedPod: (i) => service.removeLinkedPod(namespace, uids[userAt(i)], SERVICE, LINGER_SECONDS),
    getLinkService: (i) => service.getLinkService(namespace, uids[userAt(i)]),
    batchGetLinkedPod: (i) => service.batchGetLinkedPod(namespace, batchAt(i), SERVICE),
    gatewayMix: (i) => {
      const uid = uids[gatewayUserAt(i)];
      const kind = gatewayKindAt(i);
      if (kind === GATEWAY_GET) return service.getLinkedPod(namespace, uid, SERVICE);
      if (kind === GATEWAY_COMPUTE) return service.computeLinkedPodIfAbsent(namespace, uid, SERVICE, -1);
      return service.removeLinkedPod(namespace, uid, SERVICE, LINGER_SECONDS);
    },
  };
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
