import {
  type AppEnv,
  configMapDataFor,
  environments,
  managementPaths,
  secretNames,
} from '@shipyard/config';
import { defaultImageRepository } from './helm-values';
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
    monitoring_enabled: environments[env].monitoring,
    monitoring_stack_release: monitoringStackRelease,
    /** Where that stack must run: the NetworkPolicy admits the management port from there only. */
    monitoring_namespace: monitoringNamespace,
    helm_values: { image: { repository: defaultImageRepository, tag: appVersion } },
  };
}

export type DeployContract = ReturnType<typeof deployContract>;
