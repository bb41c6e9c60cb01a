import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class GetLinkQuery {
  @ApiPropertyOptional({
    example: false,
    default: false,
    description: 'only a persistent link counts (getLinkedPodIfPersist)',
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  persistent: boolean = false;
}
