import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DistributedCron, type ScheduledRunContext, StatefulExecutorService } from 'nestjs-stateful-redis';
import { parseWatchedServices, type WatchedService } from './watched-services';

/** The pod state a pod reports when it is gone for good (scale-down); the sweep forgets such pods. */
const TERMINATED_STATE = 'terminated';

/** Pods new users may be placed on: the module's default `routableStates`. */
const ROUTABLE_STATE = 'running';

/**
 * The gateway's housekeeping, once per fire across all replicas: forget the pods of the watched services that
 * reported `terminated` (their state and weight would otherwise stay in Redis forever), and report how many
 * pods can take new users, with a warning when a service has none (every new user of it gets a 503).
 *
 * The cron is read from the environment when this file is loaded (decorators run before `ConfigModule` reads
 * `.env`): `POD_SWEEP_CRON` (default every 30 s; the demo uses every second).
 */
@Injectable()
export class PodSweepTask {
  private readonly logger = new Logger('PodSweep');
  private readonly services: WatchedService[];

  constructor(
    private readonly directory: StatefulExecutorService,
    config: ConfigService,
  ) {
    this.services = parseWatchedServices(config.get<string>('WATCHED_SERVICES', 'demo/game'));
  }

  // misfire 'skip': a sweep missed while every replica was down is not worth a late run, the next one does
  // the same work. overlap 'skip': a sweep still running when the next fire is due makes that fire `skipped`.
  @DistributedCron(process.env.POD_SWEEP_CRON ?? '*/30 * * * * *', {
    name: 'pod-sweep',
    overlap: 'skip',
    misfire: 'skip',
    retry: { attempts: 2, backoffMs: 500 },
  })
  async sweep(run: ScheduledRunContext): Promise<void> {
    const report: string[] = [];
    for (const { namespace, service } of this.services) {
      // The lease was lost (Redis unreachable too long) or shutdown timed out: another replica takes over.
      run.signal.throwIfAborted();
      const pods = await this.directory.getServiceState(namespace, service);
      const terminated = Object.keys(pods)
        .map(Number)
        .filter((podId) => pods[podId] === TERMINATED_STATE);
      // removePod is idempotent: a second sweep of the same fire (at-least-once after a crash) changes nothing.
      for (const podId of terminated) await this.directory.removePod(namespace, service, podId);
      const routable = Object.keys(pods).filter((podId) => pods[Number(podId)] === ROUTABLE_STATE);
      const total = Object.keys(pods).length - terminated.length;
      report.push(
        `${namespace}/${service} ${routable.length}/${total} routable${terminated.length ? `, forgot terminated [${terminated.join(',')}]` : ''}`,
      );
      if (total > 0 && routable.length === 0) {
        this.logger.warn(`${namespace}/${service} has no ${ROUTABLE_STATE} pod: new users get 503 NO_ROUTABLE_POD`);
      }
    }
    // One line per run (the demo counts them): the fire it ran, this replica and the run's fencing token.
    this.logger.log(
      `pod-sweep fire ${run.scheduledAt.toISOString()} ran on ${run.instanceId} (fence ${run.fencingToken}, attempt ${run.attempt}): ${report.join('; ') || 'no watched services'}`,
    );
  }
}
