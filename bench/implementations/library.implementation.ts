import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StatefulExecutorService, StatefulRedisModule, StatefulRedisModuleOptions } from '../../lib';
import {
  GATEWAY_COMPUTE,
  GATEWAY_GET,
  LINGER_SECONDS,
  NAMESPACE,
  SERVICE,
  batchAt,
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
  const tag = name.replace(/\W+/g, '-');

  const operations: Record<Operation, OperationCall> = {
    getLinkedPod: (i) => service.getLinkedPod(NAMESPACE, uids[userAt(i)], SERVICE),
    trySetLinkedPod: (i) => {
      const user = userAt(i);
      return service.trySetLinkedPod(NAMESPACE, uids[user], SERVICE, seededPod(user), -1);
    },
    setLinkedPodIfAbsent: (i) => service.setLinkedPodIfAbsent(NAMESPACE, `${tag}-absent-${i}`, SERVICE, seededPod(i), -1),
    computeLinkedPodIfAbsent: (i) => service.computeLinkedPodIfAbsent(NAMESPACE, `${tag}-compute-${i}`, SERVICE, -1),
    removeLinkedPod: (i) => service.removeLinkedPod(NAMESPACE, uids[userAt(i)], SERVICE, LINGER_SECONDS),
    getLinkService: (i) => service.getLinkService(NAMESPACE, uids[userAt(i)]),
    batchGetLinkedPod: (i) => service.batchGetLinkedPod(NAMESPACE, batchAt(i), SERVICE),
    gatewayMix: (i) => {
      const uid = uids[gatewayUserAt(i)];
      const kind = gatewayKindAt(i);
      if (kind === GATEWAY_GET) return service.getLinkedPod(NAMESPACE, uid, SERVICE);
      if (kind === GATEWAY_COMPUTE) return service.computeLinkedPodIfAbsent(NAMESPACE, uid, SERVICE, -1);
      return service.removeLinkedPod(NAMESPACE, uid, SERVICE, LINGER_SECONDS);
    },
  };
  return {
    name,
    operations: only ? Object.fromEntries(only.map((operation) => [operation, operations[operation]])) : operations,
    service,
    warm: async (index) => {
      await service.getLinkedPod(NAMESPACE, uids[index], SERVICE);
      return service.getLinkService(NAMESPACE, uids[index]);
    },
    close: () => app.close(),
  } as Implementation & { service: StatefulExecutorService };
}
