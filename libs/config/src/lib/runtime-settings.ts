import { z } from 'zod';

export const appEnvNames = ['dev', 'prod'] as const;
export type AppEnv = (typeof appEnvNames)[number];

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface RuntimeSetting<S extends z.ZodType = z.ZodType> {
  readonly description: string;
  /** A secret is read from a Kubernetes Secret, never printed, logged or returned. */
  readonly secret: boolean;
  readonly schema: S;
}

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number between ${min} and ${max}` })
    .int({ error: `must be a whole number between ${min} and ${max}` })
    .min(min, { error: `must be a whole number between ${min} and ${max}` })
    .max(max, { error: `must be a whole number between ${min} and ${max}` })
    .default(fallback);

/**
 * Every environment variable the API reads. The ConfigMap, the Secret, the README table and the
 * validation at boot are all derived from this table, so a setting is added in exactly one place.
 */
export const runtimeSettings = {
  PORT: {
    description: 'TCP port the HTTP server listens on.',
    secret: false,
    schema: integer(1, 65535, 3000),
  },
  HOST: {
    description: 'Address the HTTP server binds to.',
    secret: false,
    schema: z.string().min(1).default('0.0.0.0'),
  },
  APP_ENV: {
    description: `Which environment this process runs as: ${appEnvNames.join(' or ')}.`,
    secret: false,
    schema: z
      .enum(appEnvNames, { error: `must be one of ${appEnvNames.join(', ')}` })
      .default('dev'),
  },
  LOG_LEVEL: {
    description: 'Minimum level of the JSON log lines written to stdout.',
    secret: false,
    schema: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
  },
  API_BASE_URL: {
    description: 'Public base URL of the API, as clients reach it.',
    secret: false,
    schema: z
      .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
      .default('http://localhost:3000'),
  },
  MAX_CONNECTIONS: {
    description: 'Most concurrent TCP connections the server accepts; more are refused.',
    secret: false,
    schema: integer(1, 1_000_000, 1024),
  },
  SHUTDOWN_DRAIN_SECONDS: {
    description:
      'After SIGTERM, how long the server keeps answering while readiness reports 503, so load balancers stop routing to it first.',
    secret: false,
    schema: integer(0, 300, 5),
  },
  SECRET_KEY: {
    description: 'Application signing key (at least 16 characters). Required in prod.',
    secret: true,
    schema: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  },
  DB_PASSWORD: {
    description: 'Database password (at least 8 characters). Required in prod.',
    secret: true,
    schema: z.string().min(8, { error: 'must be at least 8 characters' }).optional(),
  },
} as const satisfies Record<string, RuntimeSetting>;

export type RuntimeSettingName = keyof typeof runtimeSettings;

type SecretFlag<N extends RuntimeSettingName> = (typeof runtimeSettings)[N]['secret'];
export type SecretName = {
  [N in RuntimeSettingName]: SecretFlag<N> extends true ? N : never;
}[RuntimeSettingName];
export type PlainSettingName = Exclude<RuntimeSettingName, SecretName>;

const names = Object.keys(runtimeSettings) as RuntimeSettingName[];
export const runtimeSettingNames: readonly RuntimeSettingName[] = names;
export const secretNames = names.filter((n) => runtimeSettings[n].secret) as SecretName[];
export const plainSettingNames = names.filter(
  (n) => !runtimeSettings[n].secret,
) as PlainSettingName[];
