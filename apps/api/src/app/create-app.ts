import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, Logger } from 'pino';
import { AppModule } from './app.module';
import { AccessLogController } from './http/access-log';
import { registerRequestHooks, requestIdFor } from './http/request-hooks';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { NestPinoLogger } from './logging/nest-logger';
import { MetricsService } from './metrics/metrics.service';

/** The HTTP application, configured but not yet listening; main.ts and the tests both use it. */
export async function createApp(
  loaded: LoadedRuntimeConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new AccessLogController(),
    genReqId: requestIdFor,
    // Fastify hands each request's child logger the route's level, making pino rebuild its level
    // methods per request; no route sets its own level, so the child inherits the parent's.
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings) => parent.child(bindings),
    bodyLimit: 64 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(loaded),
    adapter,
    {
      logger: new NestPinoLogger(logger),
    },
  );
  const lifecycle = app.get(LifecycleService);
  registerRequestHooks(app.getHttpAdapter().getInstance(), {
    isDraining: () => lifecycle.draining,
    metrics: app.get(MetricsService),
  });
  return app;
}

/** Listens, applies the connection cap and only then reports ready. */
export async function startApp(app: NestFastifyApplication, loaded: LoadedRuntimeConfig) {
  const { PORT, HOST, MAX_CONNECTIONS } = loaded.config;
  await app.listen(PORT, HOST);
  app.getHttpServer().maxConnections = MAX_CONNECTIONS;
  app.get(LifecycleService).markReady();
  return app;
}
