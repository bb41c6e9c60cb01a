import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { invalidParameter } from '../common/validation.pipe';
import { DrainPodPayload } from './drain-pod.payload';

/** Payload classes of this gateway's workflows; tasks of other workflows (other replicas') are passed through. */
const PAYLOAD_BY_WORKFLOW: Record<string, new () => object> = {
  'drain-pod': DrainPodPayload,
};

/**
 * Checks a task's payload against its workflow's payload class before the task is stored, so that a bad
 * payload is a 400 naming `payload.<field>` now rather than a failed run at 3 a.m.
 */
export async function assertValidPayload(workflow: string, payload: unknown): Promise<void> {
  const payloadClass = PAYLOAD_BY_WORKFLOW[workflow];
  if (!payloadClass) return;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    const missing = Object.assign(new ValidationError(), {
      property: 'payload',
      constraints: { isObject: `a ${workflow} task needs a payload object` },
    });
    throw invalidParameter([missing]);
  }
  const errors = await validate(plainToInstance(payloadClass, payload), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  if (errors.length > 0) throw invalidParameter(errors, 'payload');
}
