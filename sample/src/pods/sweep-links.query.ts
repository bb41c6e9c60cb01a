import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional } from 'class-validator';

export class SweepLinksQuery {
  @ApiPropertyOptional({
    example: 30,
    default: 0,
    description: '0: remove the links now; N > 0: turn them into temporary links of N seconds',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  lingerSeconds: number = 0;
}
