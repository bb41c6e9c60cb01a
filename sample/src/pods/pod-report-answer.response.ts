import { ApiProperty } from '@nestjs/swagger';
import type { SweptPodNotice } from 'nestjs-stateful-redis';

/** A sweep that declared the pod silent since its last report: what the pod must act on (README: restart pattern). */
export class SweptPodNoticeResponse implements SweptPodNotice {
  @ApiProperty({ example: 'demo' })
  namespace!: string;

  @ApiProperty({ example: 'game' })
  serviceName!: string;

  @ApiProperty({ example: 4 })
  podId!: number;

  @ApiProperty({ example: 1764500000000, description: 'Redis time (ms) of its last report before the sweep' })
  lastSeenAt!: number;

  @ApiProperty({ example: 1764500060000, description: 'Redis time (ms) the sweep marked it; act once per value' })
  markedAt!: number;

  @ApiProperty({ example: 12, description: 'at most that many of its links were removed; 0: none' })
  linksRemoved!: number;

  @ApiProperty({ example: true, description: 'its state and weight were forgotten: report them again' })
  forgotten!: boolean;

  @ApiProperty({ example: 1500, description: 'wait this long (ms) before linking its users again' })
  reclaimInMs!: number;
}

/** The answer to a pod's report: the sweep it must learn of, or null. */
export class PodReportAnswerResponse {
  @ApiProperty({ type: SweptPodNoticeResponse, nullable: true })
  sweptNotice!: SweptPodNoticeResponse | null;
}
