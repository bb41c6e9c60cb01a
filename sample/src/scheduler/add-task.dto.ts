import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';
import { RetryPolicyDto } from './retry-policy.dto';

export const OVERLAP_POLICIES = ['skip', 'bufferOne', 'allow'] as const;
export const MISFIRE_POLICIES = ['runOnce', 'skip'] as const;

/**
 * `POST /scheduler/tasks`: a task of a workflow some replica registered (`drain-pod` in this gateway). The shape is
 * checked here; the rest (cron syntax, time zone, name characters, payload size, ranges, an unknown workflow) by
 * the library, which answers 400 `INVALID_PARAMETER` naming the field as well.
 */
export class AddTaskDto {
  @ApiPropertyOptional({
    example: 'drain-game-2',
    description: 'generated when absent; an existing id is a 409 ALREADY_EXISTS',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  id?: string;

  @ApiProperty({ example: 'drain game pod 2', description: '1–512 characters, no `{`, `}` or control characters' })
  @IsString()
  @IsNotEmpty()
  name!: string;

  @ApiProperty({ example: '0 3 * * *', description: '5 fields, or 6 with seconds first' })
  @IsString()
  @IsNotEmpty()
  cron!: string;

  @ApiProperty({
    example: 'drain-pod',
    description: 'a workflow registered by this gateway or announced by a live replica',
  })
  @IsString()
  @IsNotEmpty()
  workflow!: string;

  @ApiPropertyOptional({
    example: 'Europe/Berlin',
    default: 'UTC',
    description: 'IANA time zone; fire times follow its DST rules',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  timeZone?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { namespace: 'demo', service: 'game', podId: 2 },
    description: "the workflow's input (JSON, ≤ 64 KiB)",
  })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    enum: OVERLAP_POLICIES,
    default: 'skip',
    description:
      'a fire due while the previous run still runs: skip it, run it after (at most one waiting), or run it anyway',
  })
  @IsOptional()
  @IsIn(OVERLAP_POLICIES)
  overlap?: (typeof OVERLAP_POLICIES)[number];

  @ApiPropertyOptional({
    enum: MISFIRE_POLICIES,
    default: 'runOnce',
    description: 'fires missed while no replica could run them: one late run, or record them missed',
  })
  @IsOptional()
  @IsIn(MISFIRE_POLICIES)
  misfire?: (typeof MISFIRE_POLICIES)[number];

  @ApiPropertyOptional({
    example: 60000,
    default: 60000,
    minimum: 0,
    description: 'a fire starting later than this after its time is a misfire',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  misfireGraceMs?: number;

  @ApiPropertyOptional({ type: RetryPolicyDto, default: { attempts: 3, backoffMs: 1000 } })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retry?: RetryPolicyDto;

  @ApiPropertyOptional({
    example: 3,
    default: 3,
    minimum: 1,
    description: 'failed fires in a row (retries exhausted) after which the task is disabled',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxConsecutiveFailures?: number;

  @ApiPropertyOptional({
    example: 0,
    default: 0,
    minimum: 0,
    description: 'each fire starts at a random delay in [0, jitterMs)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  jitterMs?: number;

  @ApiPropertyOptional({ example: 30000, minimum: 1, description: "the run's lease (default: the module's leaseMs)" })
  @IsOptional()
  @IsInt()
  @Min(1)
  leaseMs?: number;
}
