import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { StatefulRedisHealthIndicator } from 'nestjs-stateful-redis';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: StatefulRedisHealthIndicator,
  ) {}

  /** 200 `{ status: 'ok', info: { redis: { status: 'up', roundTripMs, scriptsLoaded } } }`, 503 when Redis is down. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.redis.isHealthy('redis')]);
  }
}
