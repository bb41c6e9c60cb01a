import { ApiProperty } from '@nestjs/swagger';

export const TASK_STATUSES = [
  'pending',
  'running',
  'success',
  'failed',
  'cancelled',
  'retry',
  'skipped',
  'missed',
  'lost',
] as const;

/** One entry of a task's run history: an attempt, or a fire that was `skipped` (overlap) or `missed` (misfire). */
export class TaskRunResponse {
  @ApiProperty({ example: 'pod-sweep' })
  taskId!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'the fire time the run belongs to' })
  scheduledAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;

  @ApiProperty({ type: Number, nullable: true, example: 3 })
  durationMs!: number | null;

  @ApiProperty({ enum: TASK_STATUSES, example: 'success' })
  status!: string;

  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiProperty({ type: String, nullable: true, example: 'gateway-a', description: 'the replica that ran it' })
  instanceId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: "the error's message of a failed attempt" })
  error!: string | null;
}
