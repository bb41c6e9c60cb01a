import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export class RemoveLinkQuery {
  @ApiPropertyOptional({
    example: 30,
    default: 0,
    description: '0: delete now; N > 0: keep as a temporary link for N seconds (reconnect window)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  lingerSeconds: number = 0;

  @ApiPropertyOptional({
    example: 1,
    description: 'remove only if the link points at this pod (removeLinkedPodWithId)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  podId?: number;
}
