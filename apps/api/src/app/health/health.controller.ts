import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleService } from '../lifecycle/lifecycle.service';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Liveness: the process answers. No dependency is checked, so a slow database never restarts pods. */
  @Get('healthz')
  @HealthCheck()
  liveness() {
    return this.health.check([]);
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
