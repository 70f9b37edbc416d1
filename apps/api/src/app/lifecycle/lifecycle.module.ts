import { type DynamicModule, Module } from '@nestjs/common';
import { LifecycleService } from './lifecycle.service';

@Module({})
export class LifecycleModule {
  /** Built before Nest: Fastify's request observer asks it whether the process is draining. */
  static register(lifecycle: LifecycleService): DynamicModule {
    return {
      module: LifecycleModule,
      global: true,
      providers: [{ provide: LifecycleService, useValue: lifecycle }],
      exports: [LifecycleService],
    };
  }
}
