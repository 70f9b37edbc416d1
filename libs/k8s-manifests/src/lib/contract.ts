import {
  type AppEnv,
  configMapDataFor,
  environments,
  managementPaths,
  secretNames,
} from '@shipyard/config';
import { externalSecretsApiVersion } from './external-secrets';
import {
  defaultImageRepository,
  defaultRefreshInterval,
  offersSecretsManager,
  restartOnSecretChangeAnnotation,
} from './helm-values';
import { monitoringNamespace, monitoringStackRelease } from './monitoring';
import { appName, deployNames, servicePort } from './names';

/**
 * What Terraform (and the integration test) need to know about a synthesized chart, so that no
 * name, port or key is typed again in HCL. Written as contract.json beside Chart.yaml.
 */
export function deployContract(env: AppEnv, appVersion: string) {
  const names = deployNames(env);
  return {
    schema_version: 1,
    env,
    app_name: appName,
    app_version: appVersion,
    release_name: names.release,
    release_namespace: names.releaseNamespace,
    namespace: names.namespace,
    deployment_name: names.deployment,
    service_name: names.service,
    service_account_name: names.serviceAccount,
    container_port: Number(configMapDataFor(env).PORT),
    /** Probes and metrics; admitted only from the node (kubelet) and the monitoring namespace. */
    management_port: Number(configMapDataFor(env).MANAGEMENT_PORT),
    liveness_path: managementPaths.liveness,
    readiness_path: managementPaths.readiness,
    service_port: servicePort,
    node_port: environments[env].nodePort,
    config_map_name: names.configMap,
    secret_name: names.secret,
    secret_keys: [...secretNames],
    /**
     * Helm value secretsSource this env accepts, the first being the default: helm-values (Terraform's
     * secrets_source "random") and, where listed, aws-secrets-manager (External Secrets Operator).
     */
    secret_sources: [...environments[env].secretSources],
    /** With aws-secrets-manager; null where the env does not offer it. */
    external_secrets: offersSecretsManager(env)
      ? {
          api_version: externalSecretsApiVersion,
          secret_store_name: names.secretStore,
          external_secret_name: names.externalSecret,
          default_refresh_interval: defaultRefreshInterval,
          /** On the Deployment; its value names the Secret whose changes must roll the pods (else empty). */
          restart_on_secret_change_annotation: restartOnSecretChangeAnnotation,
        }
      : null,
    monitoring_enabled: environments[env].monitoring,
    monitoring_stack_release: monitoringStackRelease,
    /** Where that stack must run: the NetworkPolicy admits the management port from there only. */
    monitoring_namespace: monitoringNamespace,
    helm_values: { image: { repository: defaultImageRepository, tag: appVersion } },
  };
}

export type DeployContract = ReturnType<typeof deployContract>;
