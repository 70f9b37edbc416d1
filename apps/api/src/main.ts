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

/** Secret values known so far: the environment's, then the configuration's (generated ones included). */
let secretValues: string[] = secretNames.map((name) => process.env[name] ?? '');

async function bootstrap() {
  const loaded = loadOrExit();
  const { config, generatedSecrets } = loaded;
  // Every secret the schema declares is scrubbed from the logs, including ones added later.
  secretValues = secretNames.map((name) => config[name]);
  const logger = createLogger(config.LOG_LEVEL, secretValues);
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

// A start-up failure goes through pino too: one JSON line on stderr, scrubbed like every other.
bootstrap().catch((error: unknown) => {
  createLogger('info', secretValues, pino.destination({ fd: 2, sync: true })).fatal(
    { err: error },
    `start-up failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
