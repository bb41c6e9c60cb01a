import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  DistributedSchedulerService,
  type ScheduledTask,
  type SchedulerStats,
  type TaskRun,
} from 'nestjs-stateful-redis';
import { ApiErrorResponse } from '../common/api-error.response';
import { AddTaskDto } from './add-task.dto';
import { ListTasksQuery } from './list-tasks.query';
import { RunsQuery } from './runs.query';
import { ScheduledTaskResponse } from './scheduled-task.response';
import { SchedulerStatsResponse } from './scheduler-stats.response';
import { TaskIdParams } from './task-id.params';
import { TaskRunResponse } from './task-run.response';
import { UpdateTaskDto } from './update-task.dto';
import { assertValidPayload } from './workflow-payloads';

/**
 * The scheduler's tasks over REST, on every replica alike (they share the tasks through Redis). Unknown ids are
 * 404 `NOT_FOUND` and taken ids 409 `ALREADY_EXISTS`, both mapped by `StatefulErrorFilter`.
 */
@ApiTags('scheduler')
@ApiBadRequestResponse({ type: ApiErrorResponse })
@ApiServiceUnavailableResponse({ type: ApiErrorResponse, description: 'Redis unreachable or too slow' })
@Controller('scheduler')
export class SchedulerController {
  constructor(private readonly scheduler: DistributedSchedulerService) {}

  @Get('tasks')
  @ApiOperation({ summary: 'Every task of the namespace, decorated and added (listTasks)' })
  @ApiOkResponse({ type: ScheduledTaskResponse, isArray: true })
  listTasks(@Query() { enabledOnly }: ListTasksQuery): Promise<ScheduledTask[]> {
    return this.scheduler.listTasks({ enabledOnly });
  }

  @Post('tasks')
  @ApiOperation({ summary: 'Add a task of a registered workflow (addTask)' })
  @ApiCreatedResponse({ type: ScheduledTaskResponse })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'ALREADY_EXISTS: the id is taken' })
  async addTask(@Body() task: AddTaskDto): Promise<ScheduledTask> {
    await assertValidPayload(task.workflow, task.payload);
    return this.scheduler.addTask(task);
  }

  @Get('tasks/:id')
  @ApiOperation({ summary: 'One task (getTask)' })
  @ApiOkResponse({ type: ScheduledTaskResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async getTask(@Param() { id }: TaskIdParams): Promise<ScheduledTask> {
    const task = await this.scheduler.getTask(id);
    if (!task) throw notFound(id);
    return task;
  }

  @Patch('tasks/:id')
  @ApiOperation({ summary: "Change a task's options (updateTask); a new cron or time zone recomputes the next fire" })
  @ApiOkResponse({ type: ScheduledTaskResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async updateTask(@Param() { id }: TaskIdParams, @Body() patch: UpdateTaskDto): Promise<ScheduledTask> {
    if (patch.payload !== undefined || patch.workflow !== undefined) {
      const task = await this.scheduler.getTask(id);
      if (!task) throw notFound(id);
      await assertValidPayload(patch.workflow ?? task.workflow, patch.payload ?? task.payload);
    }
    return this.scheduler.updateTask(id, patch);
  }

  @Delete('tasks/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a task and its history (removeTask); a run in progress finishes, nothing fires after',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async removeTask(@Param() { id }: TaskIdParams): Promise<void> {
    if (!(await this.scheduler.removeTask(id))) throw notFound(id);
  }

  @Post('tasks/:id/enable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enable a task (enableTask): the next fire is computed from now, missed fires are not replayed',
  })
  @ApiOkResponse({ type: ScheduledTaskResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  enableTask(@Param() { id }: TaskIdParams): Promise<ScheduledTask> {
    return this.scheduler.enableTask(id);
  }

  @Post('tasks/:id/disable')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Disable a task (disableTask): it stays listed and fires no more; a run in progress finishes',
  })
  @ApiOkResponse({ type: ScheduledTaskResponse })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  disableTask(@Param() { id }: TaskIdParams): Promise<ScheduledTask> {
    return this.scheduler.disableTask(id);
  }

  @Post('tasks/:id/trigger')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'One run now, outside the schedule (triggerTask); the overlap policy applies; see /runs for its outcome',
  })
  @ApiAcceptedResponse()
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  async triggerTask(@Param() { id }: TaskIdParams): Promise<void> {
    await this.scheduler.triggerTask(id);
  }

  @Get('tasks/:id/runs')
  @ApiOperation({ summary: 'Run history, newest first (getRuns): one entry per attempt, skipped or missed fire' })
  @ApiOkResponse({ type: TaskRunResponse, isArray: true })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  getRuns(@Param() { id }: TaskIdParams, @Query() { limit }: RunsQuery): Promise<TaskRun[]> {
    return this.scheduler.getRuns(id, limit);
  }

  @Get('stats')
  @ApiOperation({ summary: "This replica's scheduler (getStats): instance id, slots in use, registered workflows" })
  @ApiOkResponse({ type: SchedulerStatsResponse })
  getStats(): SchedulerStats {
    return this.scheduler.getStats();
  }
}

/** Same body as `StatefulErrorFilter`'s NOT_FOUND, for the calls that answer "absent" instead of throwing. */
function notFound(id: string): NotFoundException {
  return new NotFoundException({
    statusCode: 404,
    code: 'NOT_FOUND',
    message: `No scheduled task with id ${JSON.stringify(id)}`,
  });
}
