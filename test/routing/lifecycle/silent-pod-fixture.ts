import assert from 'node:assert/strict';
import type { SilentPodMark } from '../../../lib';
import type { TargetFixture } from '../../harness/target-fixture';

/**
 * A service with a live pod 0 and a pod `pod` gone silent, for the sweep's specs: Redis's clock, the service's
 * state keys, and the silent pod with links of its users.
 */
export function silentPodFixture(f: TargetFixture, namespace: string, service: string, pod: number) {
  const keyOf = (suffix = '') => `sf:{${namespace}:state:${service}}${suffix}`;

  async function redisNow(): Promise<number> {
    const [seconds, micros] = await f.raw.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Pod 0 live, pod `pod` `running` with `users` links and a last report 10 minutes old. */
  async function silentPodWithUsers(users: number): Promise<string[]> {
    await f.service.setServiceState(namespace, service, 0, 'running');
    await f.service.setServiceState(namespace, service, pod, 'running');
    const uids = Array.from({ length: users }, (_, i) => `u${i}`);
    for (let from = 0; from < users; from += 500)
      await Promise.all(
        uids.slice(from, from + 500).map((uid) => f.service.setLinkedPod(namespace, uid, service, pod, -1)),
      );
    await f.raw.hset(keyOf('seen'), String(pod), String((await redisNow()) - 10 * 60_000));
    return uids;
  }

  /** The sweep's first step, silence judged at `silentForMs`: the pod is the one marked. */
  async function markedPod(silentForMs: number): Promise<SilentPodMark> {
    const marks = await f.service.markSilentPods(namespace, service, silentForMs);
    assert.deepEqual(
      marks.map((mark) => mark.podId),
      [pod],
    );
    return marks[0];
  }

  return { keyOf, redisNow, silentPodWithUsers, markedPod };
}
