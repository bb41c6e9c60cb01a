import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StatefulExecutorService } from 'nestjs-stateful-redis';
import { ApiErrorResponse } from '../common/api-error.response';
import { PodParams } from './pod.params';
import { SetWorkloadDto } from './set-workload.dto';
import { UpdatePodDto } from './update-pod.dto';
import { WorkloadQuery } from './workload.query';

/** What the pods of a service report: their state and load; and the service's workload state. */
@ApiTags('pods')
@ApiBadRequestResponse({ type: ApiErrorResponse })
@Controller('namespaces/:ns')
export class PodsController {
  constructor(private readonly directory: StatefulExecutorService) {}

  @Put('services/:svc/pods/:podId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Report a pod: state (setServiceState) and/or weight (setPodWeight)' })
  @ApiNoContentResponse()
  async updatePod(@Param() { ns, svc, podId }: PodParams, @Body() pod: UpdatePodDto): Promise<void> {
    if (pod.state !== undefined) await this.directory.setServiceState(ns, svc, podId, pod.state);
    if (pod.weight !== undefined) await this.directory.setPodWeight(ns, svc, podId, pod.weight);
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
