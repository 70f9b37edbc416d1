import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type EnvSource, loadRuntimeConfig, secretNames } from '@shipyard/config';
import { createApp } from '../app/create-app';
import { createLogger } from '../app/logging/logger';

export const knownSecrets = {
  SECRET_KEY: 'e2e-secret-key-0123456789abcdef',
  DB_PASSWORD: 'e2e-db-password-zyx987',
};

export interface TestServer {
  app: NestFastifyApplication;
  url: string;
  logs: string[];
}

/** A real Fastify server on a random loopback port, logging into memory. */
export async function startTestServer(
  env: EnvSource = {},
  { ready = true }: { ready?: boolean } = {},
): Promise<TestServer> {
  const loaded = loadRuntimeConfig({ HOST: '127.0.0.1', SHUTDOWN_DRAIN_SECONDS: '0', ...env });
  const logs: string[] = [];
  const logger = createLogger(
    loaded.config.LOG_LEVEL,
    secretNames.map((name) => loaded.config[name]),
    { write: (line: string) => void logs.push(line) },
  );
  const app = await createApp(loaded, logger);
  await app.listen(0, '127.0.0.1');
  if (ready)
    app.get((await import('../app/lifecycle/lifecycle.service')).LifecycleService).markReady();
  return { app, url: await app.getUrl(), logs };
}
