import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString } from 'class-validator';

export class BatchGetLinksDto {
  @ApiProperty({ example: ['alice', 'bob', 'carol'], maxItems: 10_000 })
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  uids!: string[];
}
