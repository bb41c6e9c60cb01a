import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LinkResponse {
  @ApiProperty({ example: 'alice' })
  uid!: string;

  @ApiProperty({ example: 1, description: 'the pod the uid is linked to after the call' })
  podId!: number;

  @ApiPropertyOptional({
    example: true,
    description: 'mode=try: false when another pod holds a persistent link (podId is that pod)',
  })
  success?: boolean;

  @ApiPropertyOptional({ example: -1, description: 'mode=set: the pod linked before, -1 if none' })
  previousPodId?: number;
}

export class RemoveLinkResponse {
  @ApiProperty({ example: 'alice' })
  uid!: string;

  @ApiProperty({
    example: true,
    description: 'false when there was no live link (or, with podId, it pointed elsewhere)',
  })
  removed!: boolean;
}
