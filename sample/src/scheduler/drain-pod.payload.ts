import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Min } from 'class-validator';

/** Payload of a `drain-pod` task; checked when the task is added or updated (400 naming `payload.<field>`). */
export class DrainPodPayload {
  @ApiProperty({ example: 'demo' })
  @IsString()
  @IsNotEmpty()
  namespace!: string;

  @ApiProperty({ example: 'game' })
  @IsString()
  @IsNotEmpty()
  service!: string;

  @ApiProperty({ example: 2, minimum: 0 })
  @IsInt()
  @Min(0)
  podId!: number;

  @ApiPropertyOptional({
    example: true,
    default: false,
    description: 'disable the task after its first successful run (a one-off maintenance drain)',
  })
  @IsOptional()
  @IsBoolean()
  once?: boolean;
}
