import type { SilentPodMark, SweptPodNotice } from '../interfaces/silent-pod.interface';

/** A sweep entry as statefulSweepSilentPods stores it (JSON). */
interface StoredSweep {
  lastSeenAt: number;
  markedAt: number;
  removed: number;
  forgotten?: boolean;
  /** Set by the report that took the entry out: how long its pod must wait before re-linking its users. */
  reclaimInMs?: number;
}

/** The notice of a report's reply: statefulSetState answers the sweep's entry (a string), or 1 without one. */
export function parseSweptPodNotice(
  reply: unknown,
  pod: { namespace: string; serviceName: string; podId: number },
): SweptPodNotice | null {
  if (typeof reply !== 'string') return null;
  const sweep = JSON.parse(reply) as StoredSweep;
  return {
    ...pod,
    lastSeenAt: sweep.lastSeenAt,
    markedAt: sweep.markedAt,
    linksRemoved: sweep.removed,
    forgotten: sweep.forgotten === true,
    reclaimInMs: sweep.reclaimInMs ?? 0,
  };
}

/** The notices of statefulSetServiceStates' flat reply `{ pod id, sweep entry, ... }`. */
export function parseSweptPodNotices(reply: unknown, namespace: string, serviceName: string): SweptPodNotice[] {
  const flat = reply as string[];
  const notices: SweptPodNotice[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const notice = parseSweptPodNotice(flat[i + 1], { namespace, serviceName, podId: Number(flat[i]) });
    if (notice) notices.push(notice);
  }
  return notices;
}

/** The marks of statefulSweepSilentPods' 'mark' reply `{ now, flat { pod id, lastSeenAt, markedAt, removed } }`. */
export function parseSilentPodMarks(reply: unknown, serviceName: string): SilentPodMark[] {
  const [judgedAt, flat] = reply as [number, Array<string | number>];
  const marks: SilentPodMark[] = [];
  for (let i = 0; i < flat.length; i += 4) {
    marks.push({
      serviceName,
      podId: Number(flat[i]),
      lastSeenAt: Number(flat[i + 1]),
      markedAt: Number(flat[i + 2]),
      judgedAt: Number(judgedAt),
      linksRemoved: Number(flat[i + 3]),
    });
  }
  return marks.sort((a, b) => a.podId - b.podId);
}

/** The pods of a 'batch' / 'forget' reply `{ pod id, 1|0, ... }` whose step was done (still marked). */
export function parseStillMarked(reply: unknown): Set<number> {
  const flat = reply as Array<string | number>;
  const marked = new Set<number>();
  for (let i = 0; i < flat.length; i += 2) if (Number(flat[i + 1]) === 1) marked.add(Number(flat[i]));
  return marked;
}
