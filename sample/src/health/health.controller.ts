import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { DistributedSchedulerHealthIndicator, StatefulRedisHealthIndicator } from 'nestjs-stateful-redis';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: StatefulRedisHealthIndicator,
    private readonly scheduler: DistributedSchedulerHealthIndicator,
  ) {}

  /**
   * 200 `{ status: 'ok', info: { redis: { status: 'up', ... }, scheduler: { status: 'up', ... } } }`;
   * 503 when Redis is down or the scheduling loop is stuck.
   */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis.isHealthy('redis'), () => this.scheduler.isHealthy('scheduler')]);
  }
}
