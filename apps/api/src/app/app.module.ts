import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import { HealthModule } from './health/health.module';
import { InfoModule } from './info/info.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import type { LifecycleService } from './lifecycle/lifecycle.service';
import { MetricsModule } from './metrics/metrics.module';
import type { MetricsService } from './metrics/metrics.service';

/** Services built before Nest, because Fastify's request observer needs them (create-app.ts). */
export interface PrebuiltServices {
  lifecycle: LifecycleService;
  metrics: MetricsService;
}

@Module({})
export class AppModule {
  /** The environment is validated before Nest starts (see main.ts); this only hands it over. */
  static register(loaded: LoadedRuntimeConfig, services: PrebuiltServices): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => loaded.config],
        }),
        LifecycleModule.register(services.lifecycle),
        // Every route belongs to one of these: `/`, `/config`; `/healthz`, `/readyz`; `/metrics`.
        InfoModule.register(loaded),
        HealthModule,
        MetricsModule.register(services.metrics),
      ],
    };
  }
}
