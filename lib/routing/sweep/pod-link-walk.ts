import { readMany } from '../../core/connection/read-many';
import type { RedisClient } from '../../core/connection/redis-connection';
import type { FeatureSend } from '../../core/operations/operation-pipeline';
import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';
import type { FeatureScripts } from '../../core/scripts/script-runner';
import type { RoutingScripts } from '../routing-script-names';
import type { SweepProgress } from '../interfaces/sweep-options.interface';
import type { KeyPatterns } from '../keys/key-patterns';
import type { NearCache } from '../near-cache/near-cache';
import { scanEveryMaster } from '../scan/master-scan';

/** Round trips of one batch: the SCAN page, the guard, the read of its links' values, the compare-and-deletes. */
const BATCH_ROUND_TRIPS = 4;

/** statefulRemovePodLink's answer for a removal that reached its node after the batch's settleAt. */
const REFUSED_AFTER_SETTLE = -1;

/** Pods by service: whose links a walk removes, or, per batch, how many of their links it is about to remove. */
export type PodsByService<V> = Map<string, Map<number, V>>;

/** What a walk did: links removed by service and pod, and why some pods may still have links (by service and pod). */
export interface PodLinkWalkResult {
  removed: PodsByService<number>;
  unfinished: PodsByService<string>;
}

export interface PodLinkWalk {
  operation: string;
  inputs: Record<string, unknown>;
  namespace: string;
  /** The pods whose links go, by service; a pod the guard refuses is dropped from it for the rest of the walk. */
  pods: PodsByService<true>;
  lingerSeconds: number;
  /**
   * Before each batch's removals: the links about to go, counted by service and pod; answers the pods whose
   * links may still go (a sweep: only pods still marked silent), each with the Redis time after which its
   * removals are refused (the batch's settleAt; 0: never). None: every pod, always.
   */
  guard?: (batch: PodsByService<number>) => Promise<PodsByService<number>>;
  onProgress?: (progress: SweepProgress) => void;
  /**
   * A pod whose removal fails (a key Redis cannot read as a link) or is refused after its batch's settleAt is left
   * `unfinished` and the walk goes on for every pod (the sweep keeps it marked for its next fire). Without it, such
   * a removal fails the walk.
   */
  isolatePods?: boolean;
}

export interface PodLinkWalkDependencies {
  client: RedisClient;
  patterns: KeyPatterns;
  scripts: FeatureScripts<RoutingScripts>;
  nearCache: NearCache | null;
  send: FeatureSend;
}

/**
 * One walk of a namespace's link keys (of one service when only one is swept) on every master, in SCAN
 * batches: each link that points at one of the pods is removed (or turned temporary) by compare-and-delete,
 * so a user re-linked meanwhile elsewhere is kept. Returns the links removed by service and pod, and the pods
 * left unfinished (`isolatePods`).
 */
export async function walkPodLinks(
  dependencies: PodLinkWalkDependencies,
  walk: PodLinkWalk,
): Promise<PodLinkWalkResult> {
  const { client, patterns, scripts, nearCache, send } = dependencies;
  const { namespace, pods, lingerSeconds } = walk;
  const services = [...pods.keys()];
  const pattern =
    services.length === 1 ? patterns.serviceLinks(namespace, services[0]) : patterns.namespaceLinks(namespace);
  const removed: PodsByService<number> = new Map(services.map((service) => [service, new Map()]));
  const unfinished: PodsByService<string> = new Map(services.map((service) => [service, new Map()]));
  const leaveUnfinished = (serviceName: string, podId: number, why: string, error: unknown) => {
    if (!walk.isolatePods) throw error;
    const ofService = unfinished.get(serviceName)!;
    if (!ofService.has(podId)) ofService.set(podId, why);
  };
  const progress = { scanned: 0, removed: 0 };
  await scanEveryMaster(client, pattern, walk.operation, async (scan) => {
    const batchRemoved = await send(
      walk.operation,
      walk.inputs,
      async () => {
        const links: Array<{ hashKey: string; linkKey: string; serviceName: string }> = [];
        for (const key of await scan()) {
          const link = patterns.linkOf(key, namespace);
          if (link !== undefined && pods.has(link.serviceName)) links.push({ ...link, linkKey: key });
        }
        progress.scanned += links.length;
        if (links.length === 0) return 0;
        // Only the links that point at a swept pod now go on; the script compares again before it deletes.
        const values = await readMany(
          client,
          links.map((link) => link.linkKey),
        );
        let swept = links.flatMap((link, index) => {
          const podId = Number(values[index]);
          return pods.get(link.serviceName)?.has(podId) && values[index] === String(podId) ? [{ ...link, podId }] : [];
        });
        let validUntil: PodsByService<number> | undefined;
        if (swept.length > 0 && walk.guard) {
          // Only the pods of this batch are asked about; those refused are dropped for the rest of the walk.
          const asked = countByPod(swept);
          validUntil = await walk.guard(asked);
          for (const [service, ofService] of asked)
            for (const podId of ofService.keys())
              if (!validUntil.get(service)?.has(podId)) pods.get(service)?.delete(podId);
          swept = swept.filter((link) => pods.get(link.serviceName)?.has(link.podId));
        }
        const replies = await Promise.allSettled(
          swept.map(({ hashKey, linkKey, serviceName, podId }) => {
            // A removal that reaches its node after the batch's settleAt is refused there: the pod may have
            // re-linked its users by then (its notice told it to wait that long).
            const deadline = validUntil?.get(serviceName)?.get(podId) || '';
            const write = scripts.run(
              'statefulRemovePodLink',
              [hashKey, linkKey],
              [serviceName, lingerSeconds, podId, deadline],
            );
            return nearCache === null ? write : write.finally(() => nearCache.invalidate(linkKey));
          }),
        );
        let count = 0;
        replies.forEach((reply, index) => {
          const { serviceName, podId, linkKey } = swept[index];
          if (reply.status === 'rejected') {
            const why = `removal of ${linkKey} failed: ${(reply.reason as Error).message}`;
            return leaveUnfinished(serviceName, podId, why, reply.reason);
          }
          if (reply.value === REFUSED_AFTER_SETTLE) {
            // Redis or this process stalled past the batch's settleAt: the link stays, so the pod is not done.
            const why = "removals reached Redis after their batch's settle time (a stall): links may be left";
            return leaveUnfinished(
              serviceName,
              podId,
              why,
              new StatefulError(ErrorCode.TIMEOUT, `${walk.operation}: ${why}; try again`, {
                operation: walk.operation,
              }),
            );
          }
          if (reply.value !== 1) return;
          const ofService = removed.get(serviceName)!;
          ofService.set(podId, (ofService.get(podId) ?? 0) + 1);
          count++;
        });
        return count;
      },
      BATCH_ROUND_TRIPS,
    );
    progress.removed += batchRemoved;
    // Awaited: that master's next batch (and its guard) comes after whatever the caller does here.
    await walk.onProgress?.({ ...progress });
  });
  return { removed, unfinished };
}

function countByPod(links: Array<{ serviceName: string; podId: number }>): PodsByService<number> {
  const counts: PodsByService<number> = new Map();
  for (const { serviceName, podId } of links) {
    const ofService = counts.get(serviceName) ?? new Map<number, number>();
    ofService.set(podId, (ofService.get(podId) ?? 0) + 1);
    counts.set(serviceName, ofService);
  }
  return counts;
}
