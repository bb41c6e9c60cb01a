import type { Logger } from '@nestjs/common';
import type { OperationMetrics } from '../../core/metrics/operation-metrics';
import type { SweptPodNotice } from '../interfaces/silent-pod.interface';
import { parseSweptPodNotice } from '../replies/sweep-replies';

/** Sweep notices this process logged, remembered so that the same notice answered again is not logged twice. */
const TOLD_NOTICES_KEPT = 1_000;

/** What a pod's report answers when a sweep declared the pod silent since its last report: logged and counted once. */
export class SweptPodNotices {
  private readonly told = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: OperationMetrics | null,
  ) {}

  /** A report's answer: the sweep it learns of, logged and counted, or `null`. */
  of(reply: unknown, pod: { namespace: string; serviceName: string; podId: number }): SweptPodNotice | null {
    const notice = parseSweptPodNotice(reply, pod);
    if (notice) this.tell(notice);
    return notice;
  }

  tell(notice: SweptPodNotice): void {
    // A report answers its notice again for a while (a retry after a lost reply): logged and counted once here.
    const told = `${notice.namespace}\n${notice.serviceName}\n${notice.podId}\n${notice.markedAt}`;
    if (this.told.has(told)) return;
    this.told.add(told);
    if (this.told.size > TOLD_NOTICES_KEPT) this.told.delete(this.told.values().next().value!);
    this.metrics?.podBackAfterSweep(notice.namespace, notice.serviceName);
    this.logger.warn(
      `Pod ${notice.podId} of ${notice.namespace}/${notice.serviceName} reported after a sweep declared it silent ` +
        `(last report ${new Date(notice.lastSeenAt).toISOString()}, ` +
        `marked ${new Date(notice.markedAt).toISOString()}): ` +
        `up to ${notice.linksRemoved} of its link(s) removed${notice.forgotten ? ', its state forgotten' : ''}; ` +
        'it must re-link the users it still serves (README: the restart pattern)',
    );
  }
}
