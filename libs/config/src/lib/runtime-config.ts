import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  type PlainSettingName,
  type RuntimeSettingName,
  settingDefinitions,
  type SecretName,
  secretNames,
  settingRelations,
} from './runtime-settings';

const shape = Object.fromEntries(
  Object.entries(settingDefinitions).map(([name, s]) => [name, s.schema]),
) as { [N in RuntimeSettingName]: (typeof settingDefinitions)[N]['schema'] };

/** The rules between settings, checked once every setting is valid on its own. */
function withRelations<T extends z.ZodObject>(schema: T) {
  return schema.superRefine((config, context) => {
    for (const { variable, holds, reason } of settingRelations) {
      const values = config as Parameters<typeof holds>[0];
      if (!holds(values))
        context.addIssue({ code: 'custom', path: [variable], message: reason(values) });
    }
  });
}

const runtimeSchema = withRelations(z.object(shape));

type Parsed = z.output<typeof runtimeSchema>;

/** The validated settings of one process. Secrets are always present (set, or generated in dev). */
export type RuntimeConfig = Pick<Parsed, PlainSettingName> & Record<SecretName, string>;

export interface LoadedRuntimeConfig {
  readonly config: Readonly<RuntimeConfig>;
  /** Secrets that were absent in dev and generated for this process only. */
  readonly generatedSecrets: readonly SecretName[];
}

export interface ConfigProblem {
  readonly variable: string;
  readonly reason: string;
}

export class RuntimeConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.reason}`).join('; ')}`);
    this.name = 'RuntimeConfigError';
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

const isSecret = (name: string) => (secretNames as readonly string[]).includes(name);

/** Kubernetes and shells often hand over `FOO=` for "unset"; treat it so. */
function ownSettings(env: EnvSource): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(settingDefinitions)) {
    const value = env[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}

function describe(issue: z.core.$ZodIssue, raw: Record<string, string>): ConfigProblem {
  const variable = String(issue.path[0] ?? '(environment)');
  const value = raw[variable];
  // Echo what was given back to the operator, unless it is a secret.
  const shown = value === undefined || isSecret(variable) ? '' : ` (got ${JSON.stringify(value)})`;
  return { variable, reason: `${issue.message}${shown}` };
}

/**
 * Validates the environment once, at boot. Throws {@link RuntimeConfigError} listing every bad
 * variable; a secret's value never appears in the error.
 */
export function loadRuntimeConfig(
  env: EnvSource,
  generateSecret: () => string = () => randomBytes(32).toString('base64url'),
): LoadedRuntimeConfig {
  const raw = ownSettings(env);
  const result = runtimeSchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map((i) => describe(i, raw));
  const appEnv = result.success ? result.data.APP_ENV : raw['APP_ENV'];

  if (appEnv === 'prod') {
    for (const name of secretNames) {
      if (raw[name] === undefined) {
        problems.push({
          variable: name,
          reason: 'is required when APP_ENV=prod',
        });
      }
    }
  }
  if (!result.success || problems.length > 0) throw new RuntimeConfigError(problems);

  const generatedSecrets = secretNames.filter((name) => result.data[name] === undefined);
  const secrets = Object.fromEntries(
    secretNames.map((name) => [name, result.data[name] ?? generateSecret()]),
  ) as Record<SecretName, string>;

  return {
    config: Object.freeze({ ...result.data, ...secrets }),
    generatedSecrets,
  };
}

/**
 * The complete non-secret settings a deployment hands the process (the ConfigMap's data),
 * validated by the same schema the process uses at boot, rendered as environment strings.
 */
export function plainSettingsFor(
  overrides: Partial<Pick<RuntimeConfig, PlainSettingName>>,
): Record<PlainSettingName, string> {
  const plainShape = Object.fromEntries(
    Object.entries(shape).filter(([name]) => !isSecret(name)),
  ) as Pick<typeof shape, PlainSettingName>;
  const result = withRelations(z.object(plainShape)).safeParse(overrides);
  if (!result.success) {
    throw new RuntimeConfigError(result.error.issues.map((i) => describe(i, {})));
  }
  return Object.fromEntries(
    Object.entries(result.data).map(([name, value]) => [name, String(value)]),
  ) as Record<PlainSettingName, string>;
}
