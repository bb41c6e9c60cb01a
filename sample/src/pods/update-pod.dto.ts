import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, Min, ValidateIf } from 'class-validator';

/** What a pod reports: its state, its load, or both. */
export class UpdatePodDto {
  @ApiPropertyOptional({
    example: 'running',
    description: 'free-form; new users go to routable states (default: running)',
  })
  @ValidateIf((pod: UpdatePodDto) => pod.state !== undefined || pod.weight === undefined)
  @IsString({ message: 'state must be a string (give state, weight or both)' })
  @IsNotEmpty()
  state?: string;

  @ApiPropertyOptional({
    example: 12,
    minimum: 0,
    description: 'load (connections, rooms, ...); lowest gets new users',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  weight?: number;
}
