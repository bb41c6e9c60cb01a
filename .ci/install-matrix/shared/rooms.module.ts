// A feature module as an app writes one: its controller injects the library's services, and the module imports
// neither StatefulRedisModule nor DistributedScheduleModule (both are global by default). Booting proves it.
import { Controller, Get, HttpException, Module, Param, Post } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import {
  DistributedSchedulerHealthIndicator,
  DistributedSchedulerService,
  NO_POD,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
} from 'nestjs-stateful-redis';

@Controller('rooms')
export class RoomsController {
  constructor(
    private readonly stateful: StatefulExecutorService,
    private readonly scheduler: DistributedSchedulerService,
    private readonly health: HealthCheckService,
    private readonly redis: StatefulRedisHealthIndicator,
    private readonly schedulerHealth: DistributedSchedulerHealthIndicator,
  ) {}

  @Post(':uid')
  async route(@Param('uid') uid: string) {
    const pod = await this.stateful.computeLinkedPodIfAbsent('prod', uid, 'room-server', -1);
    if (pod === NO_POD) throw new HttpException('no pod is accepting users', 503);
    return { pod };
  }

  @Get('tasks')
  tasks() {
    return this.scheduler.listTasks();
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.redis.isHealthy('redis'), () => this.schedulerHealth.isHealthy('scheduler')]);
  }
}

@Module({ controllers: [RoomsController] })
export class RoomsModule {}
