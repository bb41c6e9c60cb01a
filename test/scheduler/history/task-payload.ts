/*
 * What a task of the history workload carries and what its handler does with it: the payload holds a
 * version (bumped by every updateTask that changes the payload, so that a start can be tied to a
 * definition) and one step per attempt. Shared by the workload plan and the replica fixture.
 */

/** How an attempt ends: returns, throws an Error, or throws something odd that is not an Error. */
export type StepKind = 'ok' | 'fail' | 'null' | 'undefined' | 'symbol' | 'null-prototype' | 'throwing-to-string';

export const STEP_KINDS: readonly StepKind[] = [
  'ok',
  'fail',
  'null',
  'undefined',
  'symbol',
  'null-prototype',
  'throwing-to-string',
];

export interface Step {
  kind: StepKind;
  /** How long the handler works first (past the lease when longer than `leaseMs`: it is renewed meanwhile). */
  ms: number;
}

export interface TaskPayload {
  v: number;
  /** `steps[attempt - 1]`; the last one for later attempts. */
  steps: Step[];
}

/** The step of `attempt`, or a quick success for a payload that is not ours. */
export function stepOf(payload: unknown, attempt: number): Step {
  const steps = (payload as Partial<TaskPayload> | null)?.steps;
  if (!Array.isArray(steps) || steps.length === 0) return { kind: 'ok', ms: 0 };
  return steps[Math.min(attempt, steps.length) - 1];
}

/** The payload's version, or null for a payload that is not ours. */
export function versionOf(payload: unknown): number | null {
  const v = (payload as Partial<TaskPayload> | null)?.v;
  return typeof v === 'number' ? v : null;
}

/** What a failing step throws: an Error, or a value that String() cannot print or that is no object at all. */
export function thrownBy(kind: Exclude<StepKind, 'ok'>, what: string): unknown {
  switch (kind) {
    case 'fail':
      return new Error(`planned failure: ${what}`);
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'symbol':
      return Symbol(what);
    case 'null-prototype':
      return Object.create(null);
    case 'throwing-to-string':
      return {
        toString(): string {
          throw new Error('toString of a thrown value throws');
        },
      };
  }
}
