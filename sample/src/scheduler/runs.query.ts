import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class RunsQuery {
  @ApiPropertyOptional({
    example: 10,
    minimum: 1,
    maximum: 1000,
    description: "newest first; the history keeps the module's historyLength entries",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
