import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsInt, IsNotEmpty, IsOptional, IsString } from 'class-validator';

export class RouteUserDto {
  @ApiPropertyOptional({
    example: -1,
    default: -1,
    description: '-1: persistent link (user active); N > 0: temporary link for N seconds',
  })
  @IsOptional()
  @IsInt()
  persistSeconds: number = -1;

  @ApiPropertyOptional({
    example: ['running'],
    description: 'pod states that may take the user; default: the module option routableStates',
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  states?: string[];
}
