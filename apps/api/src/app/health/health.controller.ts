import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleService } from '../lifecycle/lifecycle.service';

const LIVE = JSON.stringify({ status: 'ok', info: {}, error: {}, details: {} });

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /**
   * Liveness: the process answers. No dependency is checked, so a slow database never restarts pods.
   * Nothing to evaluate, so the body is Terminus' "ok" shape, fixed, without its per-call machinery
   * (which tripled the cost of this route, probed by every kubelet).
   */
  @Get('healthz')
  @Header('content-type', 'application/json; charset=utf-8')
  @Header('cache-control', 'no-cache, no-store, must-revalidate')
  liveness(): string {
    return LIVE;
  }

  /** Readiness: started, and not shutting down. */
  @Get('readyz')
  @HealthCheck()
  readiness() {
    return this.health.check([
      () => {
        const session = this.indicators.check('lifecycle');
        if (this.lifecycle.ready) return session.up();
        return session.down({
          phase: this.lifecycle.draining ? 'draining' : 'starting',
        });
      },
    ]);
  }
}
