import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  /** The environment is validated before Nest starts (see main.ts); this only hands it over. */
  static register(loaded: LoadedRuntimeConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => loaded.config],
        }),
        LifecycleModule,
        MetricsModule,
        HealthModule,
      ],
    };
  }
}
