import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';

const LINK_MODES = ['set', 'try', 'if-absent'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

export class SetLinkDto {
  @ApiProperty({ example: 1, minimum: 0 })
  @IsInt()
  @Min(0)
  podId!: number;

  @ApiPropertyOptional({ example: -1, default: -1, description: '-1: persistent; N > 0: temporary for N seconds' })
  @IsOptional()
  @IsInt()
  persistSeconds: number = -1;

  @ApiPropertyOptional({
    enum: LINK_MODES,
    default: 'set',
    description:
      'set: link unconditionally (setLinkedPod); try: unless another pod holds a persistent link (trySetLinkedPod); ' +
      'if-absent: only if the uid has no live link (setLinkedPodIfAbsent)',
  })
  @IsOptional()
  @IsIn(LINK_MODES)
  mode: LinkMode = 'set';
}
