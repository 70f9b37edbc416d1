import { type AppEnv, environments } from '@shipyard/config';

export const appName = 'api';
/** Port of the Service in front of the pods (the NodePort maps to it). */
export const servicePort = 80;

/** Every name Terraform, the tests and the chart share; written here once. */
export function deployNames(env: AppEnv) {
  return {
    /** Helm stores its release record here; the app's namespace is an object of the chart itself. */
    releaseNamespace: 'default',
    release: `${appName}-${env}`,
    namespace: environments[env].namespace,
    deployment: appName,
    service: appName,
    /** ClusterIP Service of the management port, for the ServiceMonitor; never a NodePort. */
    managementService: `${appName}-management`,
    serviceAccount: appName,
    configMap: `${appName}-config`,
    secret: `${appName}-secrets`,
    /** With secrets from AWS Secrets Manager: External Secrets Operator's store and the ExternalSecret
     * that fills the Secret above (same name as its target, so `kubectl get externalsecret` reads plainly). */
    secretStore: `${appName}-aws-secrets-manager`,
    externalSecret: `${appName}-secrets`,
  } as const;
}

export type DeployNames = ReturnType<typeof deployNames>;
