import { ApiProperty } from '@nestjs/swagger';
import { MISFIRE_POLICIES, OVERLAP_POLICIES } from './add-task.dto';
import { TASK_STATUSES } from './task-run.response';

/** A task as `DistributedSchedulerService` returns it: its definition and its state. */
export class ScheduledTaskResponse {
  @ApiProperty({ example: 'pod-sweep' })
  id!: string;

  @ApiProperty({ example: 'pod-sweep' })
  name!: string;

  @ApiProperty({ example: '*/30 * * * * *' })
  cron!: string;

  @ApiProperty({ example: 'UTC' })
  timeZone!: string;

  @ApiProperty({
    example: 'pod-sweep',
    description: "the workflow it runs: a decorated task's own name, or a @ScheduledWorkflow's",
  })
  workflow!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  payload!: unknown;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({ enum: ['decorator', 'api'], example: 'decorator' })
  source!: 'decorator' | 'api';

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'the next fire time; null when disabled',
  })
  nextRunAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRunAt!: Date | null;

  @ApiProperty({ enum: TASK_STATUSES, nullable: true, example: 'success' })
  lastStatus!: string | null;

  @ApiProperty({ example: 42 })
  runCount!: number;

  @ApiProperty({ example: 0, description: 'failed fires in a row' })
  failureCount!: number;

  @ApiProperty({ enum: OVERLAP_POLICIES, example: 'skip' })
  overlap!: string;

  @ApiProperty({ enum: MISFIRE_POLICIES, example: 'runOnce' })
  misfire!: string;

  @ApiProperty({ example: 60000 })
  misfireGraceMs!: number;

  @ApiProperty({ example: { attempts: 3, backoffMs: 1000 } })
  retry!: { attempts: number; backoffMs: number };

  @ApiProperty({ example: 3 })
  maxConsecutiveFailures!: number;

  @ApiProperty({ example: 0 })
  jitterMs!: number;

  @ApiProperty({ type: Number, nullable: true, example: null, description: "null: the module's leaseMs" })
  leaseMs!: number | null;

  @ApiProperty({ example: 1, description: '+1 on every change of the definition' })
  version!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}
