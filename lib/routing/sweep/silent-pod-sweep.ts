import { invalidParameter } from '../../core/errors/invalid-parameter';
import type { MarkedPodSweep, SilentPodMark } from '../interfaces/silent-pod.interface';
import type { RemovePodLinksOptions } from '../interfaces/sweep-options.interface';
import type { ScriptKeys } from '../keys/script-keys';
import { parseSilentPodMarks, parseStillMarked } from '../replies/sweep-replies';
import { SILENT_POD_STATE } from '../routing.constants';
import {
  assertNamespace,
  assertOptionsObject,
  assertPodRef,
  assertServiceRef,
  assertSilentPodMarks,
} from '../validation/argument-validator';
import { type PodLinkWalkDependencies, type PodsByService, walkPodLinks } from './pod-link-walk';

/**
 * The steps of the dead-pod sweep behind `StatefulExecutorService` (see each method there): mark the silent pods of
 * a service, remove their links in one walk of the namespace, forget them; and the one-pod steps conditional on a
 * pod's last report. Every step that writes is conditional on each pod still being the silent pod its mark
 * describes.
 */
export class SilentPodSweep {
  constructor(
    private readonly walk: PodLinkWalkDependencies,
    private readonly scriptKeys: ScriptKeys,
  ) {}

  /** `markSilentPod` / `removeSilentPod`: one script, conditional on the pod's last report. */
  async writeIfSilent(
    operation: 'markSilentPod' | 'removeSilentPod',
    namespace: string,
    serviceName: string,
    podId: number,
    lastSeenAt: number,
  ): Promise<boolean> {
    assertPodRef(operation, namespace, serviceName, podId);
    if (!Number.isSafeInteger(lastSeenAt) || lastSeenAt < 0)
      throw invalidParameter(operation, 'lastSeenAt', 'must be an integer >= 0 (ms)', lastSeenAt);
    const [action, extra] =
      operation === 'markSilentPod' ? ['markIfSilent', [SILENT_POD_STATE]] : ['removeIfSilent', []];
    const written = await this.walk.send(operation, { namespace, serviceName, podId, lastSeenAt }, () =>
      this.walk.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), [
        action,
        podId,
        lastSeenAt,
        ...extra,
      ]),
    );
    return written === 1;
  }

  async markSilentPods(namespace: string, serviceName: string, silentForMs: number): Promise<SilentPodMark[]> {
    const operation = 'markSilentPods';
    assertServiceRef(operation, namespace, serviceName);
    if (!Number.isSafeInteger(silentForMs) || silentForMs < 0)
      throw invalidParameter(operation, 'silentForMs', 'must be an integer >= 0 (ms)', silentForMs);
    const reply = await this.walk.send(operation, { namespace, serviceName, silentForMs }, () =>
      this.walk.scripts.run('statefulSweepSilentPods', this.scriptKeys.podWrite(namespace, serviceName), [
        'mark',
        silentForMs,
        SILENT_POD_STATE,
      ]),
    );
    return parseSilentPodMarks(reply, serviceName);
  }

  async removeMarkedPodLinks(
    namespace: string,
    marks: SilentPodMark[],
    options?: Pick<RemovePodLinksOptions, 'onProgress'>,
  ): Promise<MarkedPodSweep[]> {
    const operation = 'removeMarkedPodLinks';
    assertNamespace(operation, namespace);
    const byPod = this.assertMarks(operation, marks);
    const { onProgress } = assertOptionsObject<RemovePodLinksOptions>(operation, options);
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidParameter(operation, 'options.onProgress', 'must be a function', onProgress);
    const pods: PodsByService<true> = new Map();
    for (const { serviceName, podId } of marks)
      pods.set(serviceName, (pods.get(serviceName) ?? new Map()).set(podId, true));
    const { removed, unfinished } =
      marks.length === 0
        ? { removed: new Map(), unfinished: new Map() }
        : await walkPodLinks(this.walk, {
            operation,
            inputs: { namespace, pods: marks.length },
            namespace,
            pods,
            lingerSeconds: 0,
            onProgress,
            guard: (batch) => this.stepMarkedPods(namespace, 'batch', batch, byPod),
            isolatePods: true,
          });
    return marks.map(({ serviceName, podId }) => {
      const why = unfinished.get(serviceName)?.get(podId);
      return {
        serviceName,
        podId,
        removed: removed.get(serviceName)?.get(podId) ?? 0,
        stillMarked: pods.get(serviceName)?.has(podId) ?? false,
        ...(why === undefined ? {} : { unfinished: why }),
      };
    });
  }

  async forgetMarkedPods(namespace: string, marks: SilentPodMark[]): Promise<SilentPodMark[]> {
    const operation = 'forgetMarkedPods';
    assertNamespace(operation, namespace);
    const byPod = this.assertMarks(operation, marks);
    const pods: PodsByService<number> = new Map();
    for (const { serviceName, podId } of marks)
      pods.set(serviceName, (pods.get(serviceName) ?? new Map<number, number>()).set(podId, 0));
    const forgotten = await this.walk.send(operation, { namespace, pods: marks.length }, () =>
      this.stepMarkedPods(namespace, 'forget', pods, byPod),
    );
    return marks.filter(({ serviceName, podId }) => forgotten.get(serviceName)?.has(podId));
  }

  /** The marks of one namespace, checked; by `service\npod`, for the steps that name a pod's mark. */
  assertMarks(operation: string, marks: unknown, field = 'marks'): Map<string, { markedAt: number }> {
    const list = assertSilentPodMarks(operation, marks, field);
    return new Map(list.map((mark) => [`${mark.serviceName}\n${mark.podId}`, mark]));
  }

  /**
   * One conditional step of a sweep for the pods of `pods` (by service, with a count of links for 'batch'): one
   * script per service, on its pods' slot; answers the pods still marked, for which the step was done, each with
   * the Redis time until which a batch's removals are valid (its settleAt; 0 for 'forget').
   */
  async stepMarkedPods(
    namespace: string,
    step: 'batch' | 'forget',
    pods: PodsByService<number>,
    marks: Map<string, { markedAt: number }>,
  ): Promise<PodsByService<number>> {
    const services = [...pods];
    const replies = await Promise.all(
      services.map(([service, counts]) =>
        this.walk.scripts.run('statefulSweepSilentPods', this.scriptKeys.podWrite(namespace, service), [
          step,
          ...[...counts].flatMap(([podId, count]) => [podId, marks.get(`${service}\n${podId}`)!.markedAt, count]),
        ]),
      ),
    );
    return new Map(
      services.map(([service], index) => {
        const [settleAt, done] = step === 'batch' ? (replies[index] as [number, unknown]) : [0, replies[index]];
        return [service, new Map([...parseStillMarked(done)].map((podId) => [podId, Number(settleAt)]))];
      }),
    );
  }
}
