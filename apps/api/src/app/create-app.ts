import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { listenForManagement } from './http/management-server';
import { requestIdFor } from './http/request-id';
import { RequestObserver } from './http/request-observer';
import { fastifyLimits } from './http/server-limits';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { NestPinoLogger } from './logging/nest-logger';
import { requestLoggerFactory } from './logging/request-logger';
import { MetricsService } from './metrics/metrics.service';

/** The HTTP application, configured but not yet listening; main.ts and the tests both use it. */
export async function createApp(
  loaded: LoadedRuntimeConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  // Fastify takes its request observer before Nest exists, so what the observer reports to is
  // built first and handed to Nest by the modules that own it.
  const lifecycle = new LifecycleService(loaded.config.SHUTDOWN_DRAIN_SECONDS);
  const metrics = new MetricsService();
  const observer = new RequestObserver(
    { isDraining: () => lifecycle.draining, metrics: metrics.requests },
    logger.isLevelEnabled('debug'),
  );
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: observer,
    genReqId: requestIdFor,
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: 64 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    ...fastifyLimits(loaded.config),
  });
  return NestFactory.create<NestFastifyApplication>(
    AppModule.register(loaded, { lifecycle, metrics }),
    adapter,
    {
      logger: new NestPinoLogger(logger),
    },
  );
}

/** Listens (and on the management port, if set), applies the connection cap, then reports ready. */
export async function startApp(app: NestFastifyApplication, loaded: LoadedRuntimeConfig) {
  const { PORT, HOST, MAX_CONNECTIONS, MANAGEMENT_PORT } = loaded.config;
  await app.listen(PORT, HOST);
  app.getHttpServer().maxConnections = MAX_CONNECTIONS;
  if (MANAGEMENT_PORT !== undefined) await listenForManagement(app, loaded.config, MANAGEMENT_PORT);
  app.get(LifecycleService).markReady();
  return app;
}
