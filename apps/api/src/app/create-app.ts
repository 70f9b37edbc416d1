import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LoadedRuntimeConfig } from '@shipyard/config';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { livenessResponse } from './health/liveness';
import { serveFixedResponses } from './http/fixed-responses';
import { requestIdFor } from './http/request-id';
import { RequestObserver } from './http/request-observer';
import { infoResponses } from './info/info-responses';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { NestPinoLogger } from './logging/nest-logger';
import { requestLoggerFactory } from './logging/request-logger';
import { MetricsService } from './metrics/metrics.service';

/** The HTTP application, configured but not yet listening; main.ts and the tests both use it. */
export async function createApp(
  loaded: LoadedRuntimeConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const observer = new RequestObserver(logger.isLevelEnabled('debug'));
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: observer,
    genReqId: requestIdFor,
    childLoggerFactory: requestLoggerFactory,
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
  observer.connect({
    isDraining: () => lifecycle.draining,
    metrics: app.get(MetricsService).requests,
  });
  serveFixedResponses(adapter.getInstance(), [...infoResponses(loaded), livenessResponse]);
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
