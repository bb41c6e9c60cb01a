import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsString } from 'class-validator';

/** `?services=game,chat` (or `?services=game&services=chat`). */
export class WorkloadQuery {
  @ApiProperty({ type: String, example: 'game,chat', description: 'comma-separated service names' })
  @Transform(({ value }) =>
    (Array.isArray(value) ? value : String(value).split(',')).map((name: string) => name.trim()).filter(Boolean),
  )
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  services!: string[];
}
