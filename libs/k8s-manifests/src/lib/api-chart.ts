import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { type AppEnv, environments, configMapDataFor } from '@shipyard/config';
import { ApiAvailability } from './availability';
import { ApiExternalSecrets } from './external-secrets';
import { offersSecretsManager } from './helm-values';
import { Monitoring } from './monitoring';
import { appName, type DeployNames, deployNames } from './names';
import { ApiNetwork } from './network';
import { ApiWorkload } from './workload';

export { NamespaceChart } from './namespace-chart';
export { preStopPauseSeconds, runAsUser } from './workload';

export interface ApiChartProps {
  readonly env: AppEnv;
  readonly appVersion: string;
}

/** Everything one environment of the API needs inside its namespace. */
export class ApiChart extends Chart {
  readonly names: DeployNames;

  constructor(scope: Construct, id: string, { env, appVersion }: ApiChartProps) {
    const names = deployNames(env);
    const selectorLabels = {
      'app.kubernetes.io/name': appName,
      'app.kubernetes.io/instance': names.release,
    };
    super(scope, id, {
      namespace: names.namespace,
      disableResourceNameHashes: true,
      labels: {
        ...selectorLabels,
        'app.kubernetes.io/version': appVersion,
        'app.kubernetes.io/part-of': 'shipyard',
        'app.kubernetes.io/managed-by': 'Helm',
      },
    });
    this.names = names;

    const { deployment } = new ApiWorkload(this, 'Workload', { env, names, selectorLabels });
    new ApiNetwork(this, 'Network', { env, names, deployment });
    new ApiAvailability(this, 'Availability', { env, deployment, selectorLabels });
    // Rendered only with secretsSource aws-secrets-manager; the Helm-set Secret only without (helm-chart.ts).
    if (offersSecretsManager(env)) new ApiExternalSecrets(this, 'ExternalSecrets', { names });
    if (environments[env].monitoring) {
      new Monitoring(this, 'Monitoring', {
        names,
        selectorLabels,
        managementPort: Number(configMapDataFor(env).MANAGEMENT_PORT),
      });
    }
  }
}
