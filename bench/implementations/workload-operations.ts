import {
  GATEWAY_COMPUTE,
  GATEWAY_GET,
  batchAt,
  gatewayKindAt,
  gatewayUserAt,
  seededPod,
  uids,
  userAt,
} from '../workload';
import type { Operation, OperationCall } from './implementation';

/** One implementation's way of doing each command on a uid (service, pod and TTLs are its own to fill in). */
export interface LinkCommands {
  get(uid: string): Promise<unknown>;
  trySet(uid: string, pod: number): Promise<unknown>;
  setIfAbsent(uid: string, pod: number): Promise<unknown>;
  compute(uid: string): Promise<unknown>;
  remove(uid: string): Promise<unknown>;
  linkService(uid: string): Promise<unknown>;
  batchGet(uids: string[]): Promise<unknown>;
}

/** The workload, written once: which uid, pod and command call number `i` of each operation uses. */
export function workloadOperations(commands: LinkCommands): Record<Operation, OperationCall> {
  return {
    getLinkedPod: (i) => commands.get(uids[userAt(i)]),
    trySetLinkedPod: (i) => {
      const user = userAt(i);
      return commands.trySet(uids[user], seededPod(user));
    },
    setLinkedPodIfAbsent: (i) => commands.setIfAbsent(`absent-${i}`, seededPod(i)),
    computeLinkedPodIfAbsent: (i) => commands.compute(`compute-${i}`),
    removeLinkedPod: (i) => commands.remove(uids[userAt(i)]),
    getLinkService: (i) => commands.linkService(uids[userAt(i)]),
    batchGetLinkedPod: (i) => commands.batchGet(batchAt(i)),
    gatewayMix: (i) => {
      const uid = uids[gatewayUserAt(i)];
      const kind = gatewayKindAt(i);
      if (kind === GATEWAY_GET) return commands.get(uid);
      if (kind === GATEWAY_COMPUTE) return commands.compute(uid);
      return commands.remove(uid);
    },
  };
}
