import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min } from 'class-validator';

/** Path parameters of `/namespaces/:ns/services/:svc/pods/:podId`; names are checked by the library. */
export class PodParams {
  @ApiProperty({ example: 'demo' })
  @IsString()
  ns!: string;

  @ApiProperty({ example: 'game' })
  @IsString()
  svc!: string;

  @ApiProperty({ example: 0, minimum: 0, description: 'pod ordinal (StatefulSet index)' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  podId!: number;
}
