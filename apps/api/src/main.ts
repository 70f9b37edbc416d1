import pino from 'pino';
import { loadRuntimeConfig, RuntimeConfigError, secretNames } from '@shipyard/config';
import { createApp, startApp } from './app/create-app';
import { createLogger } from './app/logging/logger';

function loadOrExit() {
  try {
    return loadRuntimeConfig(process.env);
  } catch (error) {
    if (!(error instanceof RuntimeConfigError)) throw error;
    const log = createLogger('info', [], pino.destination({ fd: 2, sync: true }));
    for (const { variable, reason } of error.problems) {
      log.fatal({ variable }, `invalid configuration: ${variable} ${reason}`);
    }
    process.exit(1);
  }
}

async function bootstrap() {
  const loaded = loadOrExit();
  const { config, generatedSecrets } = loaded;
  // Every secret the schema declares is scrubbed from the logs, including ones added later.
  const logger = createLogger(
    config.LOG_LEVEL,
    secretNames.map((name) => config[name]),
  );
  for (const name of generatedSecrets) {
    logger.warn(
      { variable: name },
      `${name} is not set: using a random value for this process only (dev)`,
    );
  }

  const app = await createApp(loaded, logger);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await startApp(app, loaded);
  logger.info({ env: config.APP_ENV, url: await app.getUrl() }, 'ready');
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
