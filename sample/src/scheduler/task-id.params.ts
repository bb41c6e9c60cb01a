import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';

/** `/scheduler/tasks/:id` (URL-encode ids with `/`, spaces, ...); an unknown id is a 404 `NOT_FOUND`. */
export class TaskIdParams {
  @ApiProperty({ example: 'pod-sweep' })
  @IsString()
  @IsNotEmpty()
  id!: string;
}
