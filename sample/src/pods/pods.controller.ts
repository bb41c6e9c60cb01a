import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Logger, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StatefulExecutorService } from 'nestjs-stateful-redis';
import { ApiErrorResponse } from '../common/api-error.response';
import { PodReportAnswerResponse } from './pod-report-answer.response';
import { PodReportResponse, SweepResponse } from './pod-report.response';
import { PodParams } from './pod.params';
import { SweepLinksQuery } from './sweep-links.query';
import { SetWorkloadDto } from './set-workload.dto';
import { UpdatePodDto } from './update-pod.dto';
import { WorkloadQuery } from './workload.query';

/** What the pods of a service report: their state and load; and the service's workload state. */
@ApiTags('pods')
@ApiBadRequestResponse({ type: ApiErrorResponse })
@Controller('namespaces/:ns')
export class PodsController {
  private readonly logger = new Logger('Pods');

  constructor(private readonly directory: StatefulExecutorService) {}

  /**
   * The pod's own report. Its answer carries the sweep that declared the pod silent since its last report, if any:
   * the pod must wait `reclaimInMs`, then link its users again (README: a pod that comes back).
   */
  @Put('services/:svc/pods/:podId')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Report a pod: state (setServiceState) and/or weight (setPodWeight)' })
  @ApiOkResponse({ type: PodReportAnswerResponse })
  async updatePod(@Param() { ns, svc, podId }: PodParams, @Body() pod: UpdatePodDto): Promise<PodReportAnswerResponse> {
    let notice = null;
    if (pod.state !== undefined) notice = await this.directory.setServiceState(ns, svc, podId, pod.state);
    if (pod.weight !== undefined) notice = (await this.directory.setPodWeight(ns, svc, podId, pod.weight)) ?? notice;
    return { sweptNotice: notice };
  }

  @Put('services/:svc/pods/:podId/heartbeat')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'A pod with nothing else to report says it is alive (heartbeat)' })
  @ApiOkResponse({ type: PodReportAnswerResponse })
  async heartbeat(@Param() { ns, svc, podId }: PodParams): Promise<PodReportAnswerResponse> {
    return { sweptNotice: await this.directory.heartbeat(ns, svc, podId) };
  }

  /**
   * The restart pattern: a StatefulSet pod comes back under the same name with empty memory, so the users still
   * linked to it would reach a pod without their state. It sweeps its own links first, then reports `running`.
   */
  @Post('services/:svc/pods/:podId/started')
  @ApiOperation({
    summary: 'A pod (re)started with empty memory: report starting, sweep its links (removePodLinks), report running',
  })
  @ApiOkResponse({ type: SweepResponse })
  async started(@Param() { ns, svc, podId }: PodParams): Promise<SweepResponse> {
    // Not routable while it sweeps: a gateway placing a user on it meanwhile would see that link swept too.
    await this.directory.setServiceState(ns, svc, podId, 'starting');
    const removedLinks = await this.directory.removePodLinks(ns, svc, podId);
    await this.directory.setServiceState(ns, svc, podId, 'running');
    this.logger.log(`${ns}/${svc} pod ${podId} started empty: ${removedLinks} stale link(s) swept, reported running`);
    return { removedLinks };
  }

  @Post('services/:svc/pods/:podId/links:sweep')
  @ApiOperation({ summary: 'Remove (or turn temporary) every link of the service to this pod (removePodLinks)' })
  @ApiOkResponse({ type: SweepResponse })
  async sweepLinks(
    @Param() { ns, svc, podId }: PodParams,
    @Query() { lingerSeconds }: SweepLinksQuery,
  ): Promise<SweepResponse> {
    return { removedLinks: await this.directory.removePodLinks(ns, svc, podId, { lingerSeconds }) };
  }

  @Delete('services/:svc/pods/:podId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Forget a pod (removePod): scale-down; its links expire or are removed on their own' })
  @ApiNoContentResponse()
  async removePod(@Param() { ns, svc, podId }: PodParams): Promise<void> {
    await this.directory.removePod(ns, svc, podId);
  }

  @Get('services/:svc/pods')
  @ApiOperation({ summary: 'State of every pod of the service (getServiceState)' })
  @ApiOkResponse({
    schema: { type: 'object', additionalProperties: { type: 'string' }, example: { 0: 'running', 1: 'draining' } },
  })
  getPods(@Param('ns') ns: string, @Param('svc') svc: string): Promise<Record<number, string>> {
    return this.directory.getServiceState(ns, svc);
  }

  @Get('services/:svc/pod-reports')
  @ApiOperation({ summary: 'Every pod with state, weight, last report and liveness (getPods)' })
  @ApiOkResponse({ type: PodReportResponse, isArray: true })
  getPodReports(@Param('ns') ns: string, @Param('svc') svc: string): Promise<PodReportResponse[]> {
    return this.directory.getPods(ns, svc);
  }

  @Get('pod-states')
  @ApiOperation({ summary: 'Pod states of several services in one round trip per node (batchGetServiceState)' })
  @ApiOkResponse({
    schema: { type: 'object', example: { game: { 0: 'running' }, chat: { 0: 'running', 1: 'draining' } } },
  })
  getPodStates(
    @Param('ns') ns: string,
    @Query() { services }: WorkloadQuery,
  ): Promise<Record<string, Record<number, string>>> {
    return this.directory.batchGetServiceState(ns, services);
  }

  @Put('services/:svc/workload')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Set the service's workload state (setWorkloadState)" })
  @ApiNoContentResponse()
  async setWorkload(
    @Param('ns') ns: string,
    @Param('svc') svc: string,
    @Body() { state }: SetWorkloadDto,
  ): Promise<void> {
    await this.directory.setWorkloadState(ns, svc, state);
  }

  @Get('workloads')
  @ApiOperation({ summary: 'Workload states of several services (getWorkloadState); unknown ones are left out' })
  @ApiOkResponse({
    schema: { type: 'object', additionalProperties: { type: 'string' }, example: { game: 'rolling-update' } },
  })
  getWorkloads(@Param('ns') ns: string, @Query() { services }: WorkloadQuery): Promise<Record<string, string>> {
    return this.directory.getWorkloadState(ns, services);
  }
}
