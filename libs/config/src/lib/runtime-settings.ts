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

/**
 * Idle timeout of the AWS ALB in front of the cluster (its default); the server must keep idle
 * connections open longer, or the balancer may send a request down a connection being closed.
 */
export const loadBalancerIdleTimeoutSeconds = 60;

/** Routes the management port serves; the probes and the ServiceMonitor use the same paths. */
export const managementPaths = {
  liveness: '/healthz',
  readiness: '/readyz',
  metrics: '/metrics',
} as const;

/** Enough for the kubelet's probes and a few scrapers; the point is that clients cannot use them. */
export const managementMaxConnections = 16;

const wholeNumber = (
  min: number,
  max: number,
  error = `must be a whole number between ${min} and ${max}`,
) => z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });

const integer = (min: number, max: number, fallback: number, error?: string) =>
  wholeNumber(min, max, error).default(fallback);

/**
 * Every environment variable the API reads. The ConfigMap, the Secret, the README table and the
 * validation at boot are all derived from this table, so a setting is added in exactly one place.
 */
export const settingDefinitions = {
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
  HEADERS_TIMEOUT_SECONDS: {
    description:
      'How long a client may take to send its request headers (or anything at all on a new connection) before it is disconnected.',
    secret: false,
    schema: integer(1, 3600, 10),
  },
  REQUEST_TIMEOUT_SECONDS: {
    description:
      'How long a client may take to send a whole request, headers and body, before it gets 408 and is disconnected. At least HEADERS_TIMEOUT_SECONDS.',
    secret: false,
    schema: integer(1, 3600, 30),
  },
  KEEP_ALIVE_TIMEOUT_SECONDS: {
    description: `How long an idle keep-alive connection stays open. More than ${loadBalancerIdleTimeoutSeconds} (the idle timeout of the AWS ALB), so a load balancer never reuses a connection the server has just closed.`,
    secret: false,
    schema: integer(
      loadBalancerIdleTimeoutSeconds + 1,
      3600,
      65,
      `must be a whole number of seconds above ${loadBalancerIdleTimeoutSeconds} (the AWS ALB's idle timeout) and at most 3600`,
    ),
  },
  MANAGEMENT_PORT: {
    description: `Optional second TCP port serving only the probes and metrics (${Object.values(managementPaths).join(', ')}), with its own cap of ${managementMaxConnections} connections, so a flood of clients on PORT cannot starve them. Unset: none.`,
    secret: false,
    schema: wholeNumber(1, 65535).optional(),
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

export type RuntimeSettingName = keyof typeof settingDefinitions;

type SecretFlag<N extends RuntimeSettingName> = (typeof settingDefinitions)[N]['secret'];
export type SecretName = {
  [N in RuntimeSettingName]: SecretFlag<N> extends true ? N : never;
}[RuntimeSettingName];
export type PlainSettingName = Exclude<RuntimeSettingName, SecretName>;

const names = Object.keys(settingDefinitions) as RuntimeSettingName[];
export const runtimeSettingNames: readonly RuntimeSettingName[] = names;
export const secretNames = names.filter((n) => settingDefinitions[n].secret) as SecretName[];
export const plainSettingNames = names.filter(
  (n) => !settingDefinitions[n].secret,
) as PlainSettingName[];

/** A rule between two settings, checked after each is valid on its own. */
export interface SettingRelation {
  readonly variable: PlainSettingName;
  readonly holds: (config: Record<PlainSettingName, unknown>) => boolean;
  readonly reason: (config: Record<PlainSettingName, unknown>) => string;
}

export const settingRelations: readonly SettingRelation[] = [
  {
    variable: 'REQUEST_TIMEOUT_SECONDS',
    holds: (c) => Number(c.REQUEST_TIMEOUT_SECONDS) >= Number(c.HEADERS_TIMEOUT_SECONDS),
    reason: (c) =>
      `must be at least HEADERS_TIMEOUT_SECONDS (${c.HEADERS_TIMEOUT_SECONDS}): the headers are part of the request`,
  },
  {
    variable: 'MANAGEMENT_PORT',
    holds: (c) => c.MANAGEMENT_PORT === undefined || c.MANAGEMENT_PORT !== c.PORT,
    reason: (c) => `must differ from PORT (${c.PORT})`,
  },
];
