import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Body of every error answer (validation, `StatefulErrorFilter`, not found). */
export class ApiErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'INVALID_PARAMETER', description: 'StatefulError code, or NOT_LINKED / NO_ROUTABLE_POD' })
  code!: string;

  @ApiProperty({ example: 'podId must be an integer number' })
  message!: string;

  @ApiPropertyOptional({ example: 'podId', description: 'the parameter at fault' })
  field?: string;
}
