import { plainSettingsFor, type RuntimeConfig } from './runtime-config';
import { type AppEnv, appEnvNames, type PlainSettingName } from './runtime-settings';

export interface ResourceAmounts {
  readonly cpuMillicores: number;
  readonly memoryMebibytes: number;
}

/** Every non-secret setting but APP_ENV, which is the environment's own name. */
export type TunableSettingName = Exclude<PlainSettingName, 'APP_ENV'>;

/**
 * Where a deployment's secrets come from. `helm-values`: given at install time as Helm values (Terraform
 * generates them with random_password); `aws-secrets-manager`: synced from AWS Secrets Manager into the same
 * Kubernetes Secret by External Secrets Operator, so nothing secret passes through Helm or Terraform.
 */
export const secretSources = ['helm-values', 'aws-secrets-manager'] as const;
export type SecretSource = (typeof secretSources)[number];

/** Probes and metrics on their own port in every cluster, out of reach of a client flood. */
const managementPort = 9464;

/** Everything that differs between two deployments of the same code. */
export interface EnvironmentSettings {
  readonly namespace: string;
  readonly autoscaling: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCpuUtilizationPercent: number;
  };
  readonly resources: {
    readonly requests: ResourceAmounts;
    readonly limits: ResourceAmounts;
  };
  /** At least 1, so a single replica can still be evicted when a node drains. */
  readonly disruptionBudget: { readonly maxUnavailable: number };
  /** Fixed NodePort, so a load balancer in front of the nodes can target it. */
  readonly nodePort: number;
  /** Ship the ServiceMonitor, alert rules and dashboard. */
  readonly monitoring: boolean;
  /**
   * Secret sources this environment may use; the first is the default. Only an environment that runs where
   * Secrets Manager and IRSA exist (prod on AWS) lists `aws-secrets-manager`.
   */
  readonly secretSources: readonly [SecretSource, ...SecretSource[]];
  /** Runtime settings that differ from the schema's defaults in this environment. */
  readonly runtime: Readonly<Partial<Pick<RuntimeConfig, TunableSettingName>>>;
}

export const environments: Readonly<Record<AppEnv, EnvironmentSettings>> = {
  dev: {
    namespace: 'shipyard-dev',
    autoscaling: {
      minReplicas: 1,
      maxReplicas: 2,
      targetCpuUtilizationPercent: 80,
    },
    resources: {
      requests: { cpuMillicores: 50, memoryMebibytes: 96 },
      limits: { cpuMillicores: 250, memoryMebibytes: 192 },
    },
    disruptionBudget: { maxUnavailable: 1 },
    nodePort: 30080,
    monitoring: false,
    // minikube and the like: no Secrets Manager, no IRSA.
    secretSources: ['helm-values'],
    runtime: {
      LOG_LEVEL: 'debug',
      API_BASE_URL: 'http://api.shipyard-dev.svc.cluster.local',
      MANAGEMENT_PORT: managementPort,
      SHUTDOWN_DRAIN_SECONDS: 3,
    },
  },
  prod: {
    namespace: 'shipyard-prod',
    autoscaling: {
      minReplicas: 2,
      maxReplicas: 5,
      targetCpuUtilizationPercent: 70,
    },
    resources: {
      requests: { cpuMillicores: 100, memoryMebibytes: 128 },
      limits: { cpuMillicores: 500, memoryMebibytes: 256 },
    },
    disruptionBudget: { maxUnavailable: 1 },
    nodePort: 30081,
    monitoring: true,
    // helm-values stays the default, for prod-shaped clusters without AWS (the integration tests).
    secretSources: ['helm-values', 'aws-secrets-manager'],
    runtime: {
      LOG_LEVEL: 'info',
      API_BASE_URL: 'https://api.example.com',
      MAX_CONNECTIONS: 2048,
      MANAGEMENT_PORT: managementPort,
      SHUTDOWN_DRAIN_SECONDS: 5,
    },
  },
};

export function isAppEnv(name: string): name is AppEnv {
  return (appEnvNames as readonly string[]).includes(name);
}

/** The non-secret environment variables a deployment of `env` hands the process. */
export function configMapDataFor(env: AppEnv) {
  return plainSettingsFor({ ...environments[env].runtime, APP_ENV: env });
}
