import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';

/** `retry` of a task: `attempts` counts every try (1 = no retry), the backoff doubles after each failed try; a field left out keeps its default. */
export class RetryPolicyDto {
  @ApiPropertyOptional({ example: 3, default: 3, minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  attempts?: number;

  @ApiPropertyOptional({ example: 1000, default: 1000, minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  backoffMs?: number;
}
