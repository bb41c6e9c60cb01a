import { ApiProperty } from '@nestjs/swagger';

/** `getStats()` of the replica that answered. */
export class SchedulerStatsResponse {
  @ApiProperty({ example: 'gateway-a' })
  instanceId!: string;

  @ApiProperty({ example: true, description: 'the scheduling loop is running' })
  running!: boolean;

  @ApiProperty({ example: 5 })
  maxConcurrent!: number;

  @ApiProperty({ example: 1 })
  runningTasks!: number;

  @ApiProperty({ example: 4 })
  availableSlots!: number;

  @ApiProperty({ example: ['drain-pod', 'pod-sweep'] })
  registeredWorkflows!: string[];
}
