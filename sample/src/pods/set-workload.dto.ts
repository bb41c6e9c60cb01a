import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';

export class SetWorkloadDto {
  @ApiProperty({ example: 'rolling-update' })
  @IsString()
  @IsNotEmpty()
  state!: string;
}
