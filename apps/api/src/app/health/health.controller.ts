import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { managementPaths } from '@shipyard/config';
import { LifecycleService } from '../lifecycle/lifecycle.service';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Readiness: started, and not shutting down. Liveness is a fixed response (liveness.ts). */
  @Get(managementPaths.readiness)
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
