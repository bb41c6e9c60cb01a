import { ApiProperty } from '@nestjs/swagger';
import type { PodReport } from 'nestjs-stateful-redis';

/** One pod of a service as `getPods` sees it. */
export class PodReportResponse implements PodReport {
  @ApiProperty({ example: 1 })
  podId!: number;

  @ApiProperty({ example: 'running', nullable: true, type: String })
  state!: string | null;

  @ApiProperty({ example: 3, nullable: true, type: Number })
  weight!: number | null;

  @ApiProperty({
    example: 1764500000000,
    nullable: true,
    type: Number,
    description: 'Redis time (ms) of its last report; null: it never reports liveness (a Java or Go pod)',
  })
  lastSeenAt!: number | null;

  @ApiProperty({ example: true, description: 'false once silent longer than podLiveness.timeoutMs' })
  live!: boolean;
}

export class SweepResponse {
  @ApiProperty({ example: 12, description: 'links of the pod removed (or turned temporary)' })
  removedLinks!: number;
}
