import { App } from 'cdk8s';
import type { AppEnv } from '@shipyard/config';
import { ApiChart, NamespaceChart } from './api-chart';
import { deployContract } from './contract';
import { valuesSchema, valuesYaml } from './helm-values';

export const chartName = 'shipyard-api';
export const contractFile = 'contract.json';
/** Beside the charts: the names of every environment, for Terraform's validation of `env`. */
export const environmentsFile = 'environments.json';

/** Builds the cdk8s app of one environment. */
export function synthApp(env: AppEnv, appVersion: string): App {
  const app = new App();
  new NamespaceChart(app, 'namespace', { env });
  new ApiChart(app, 'api', { env, appVersion });
  return app;
}

/** Every file of one environment's Helm chart, by path relative to the chart directory. */
export function helmChartFiles(env: AppEnv, appVersion: string): Record<string, string> {
  const chartYaml = [
    'apiVersion: v2',
    `name: ${chartName}`,
    `description: The shipyard API for the ${env} environment, synthesized by cdk8s from libs/config.`,
    'type: application',
    `version: ${appVersion}`,
    `appVersion: "${appVersion}"`,
    'kubeVersion: ">=1.28.0-0"',
    '',
  ].join('\n');
  return {
    'Chart.yaml': chartYaml,
    'values.yaml': valuesYaml(),
    'values.schema.json': `${JSON.stringify(valuesSchema(), null, 2)}\n`,
    '.helmignore': `${contractFile}\n`,
    'templates/manifests.yaml': synthApp(env, appVersion).synthYaml(),
    [contractFile]: `${JSON.stringify(deployContract(env, appVersion), null, 2)}\n`,
  };
}
