import { SetMetadata } from '@nestjs/common';
import { DISTRIBUTED_CRON_METADATA, DistributedCronMetadata, DistributedCronOptions } from './schedule-metadata';

/**
 * Declares a task in code: `cron` (5 fields, or 6 with seconds first) and its options, `name` required. The
 * task's id and its workflow's name are `name`; its definition is upserted at startup (a deploy): an unchanged
 * one, or a changed one with the same `cron` and `timeZone`, keeps its next fire (a new `cron` or `timeZone`
 * computes it once, from now); `enabled` only sets the state of a new task, a disabled one stays disabled. A task
 * removed with `removeTask` stays removed until the next deploy, reconnects included; after a reconnect only the
 * declared tasks Redis lost with its data (a restart without persistence) are created again. The method is
 * called with a `ScheduledRunContext` on one replica per fire.
 */
export function DistributedCron(cron: string, options: DistributedCronOptions): MethodDecorator {
  return SetMetadata<symbol, DistributedCronMetadata>(DISTRIBUTED_CRON_METADATA, { cron, options });
}
