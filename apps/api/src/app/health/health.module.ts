import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { FastifyInstance } from 'fastify';
import { serveFixedResponses } from '../http/fixed-responses';
import { HealthController } from './health.controller';
import { livenessResponse } from './liveness';

/** `/healthz` (a fixed response) and `/readyz` (a controller). */
@Module({
  // A failing readiness check is expected while draining; it is not an error to log.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
})
export class HealthModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify: FastifyInstance = this.adapterHost.httpAdapter.getInstance();
    serveFixedResponses(fastify, [livenessResponse]);
  }
}
