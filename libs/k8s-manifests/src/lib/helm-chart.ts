import { App } from 'cdk8s';
import type { AppEnv } from '@shipyard/config';
import { ApiChart, NamespaceChart } from './api-chart';
import { deployContract } from './contract';
import { helm, offersSecretsManager, rawHelm, valuesSchema, valuesYaml } from './helm-values';

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

/**
 * Which template file each object goes to. manifests.yaml stays plain YAML (Helm expressions only inside
 * quoted strings); the others hold Helm control structures: objects rendered for one secrets source only,
 * and the ServiceAccount, whose annotations map Helm builds.
 */
function templateOf(kind: string): string {
  switch (kind) {
    case 'ServiceAccount':
      return 'templates/serviceaccount.yaml';
    case 'Secret':
      return 'templates/secret.yaml';
    case 'SecretStore':
    case 'ExternalSecret':
      return 'templates/external-secrets.yaml';
    default:
      return 'templates/manifests.yaml';
  }
}

/** Swaps each annotations map that holds only a raw-Helm marker for the marker's template. */
function withRawHelm(yaml: string): string {
  let out = yaml;
  for (const [marker, template] of Object.entries(rawHelm)) {
    out = out.replace(
      new RegExp(`^( +)annotations:\\n +${marker}: ""\\n`, 'gm'),
      (_, indent: string) => `${indent}annotations: ${template}\n`,
    );
  }
  return out;
}

/** The chart's template files, by path. */
export function templateFiles(env: AppEnv, appVersion: string): Record<string, string> {
  // synthYaml joins documents with a `---` line; inside a document such a line can only be indented.
  const documents = synthApp(env, appVersion)
    .synthYaml()
    .split(/^---\n/m);
  const byFile: Record<string, string[]> = {};
  for (const document of documents) {
    const kind = /^kind: (\S+)$/m.exec(document)?.[1];
    if (!kind) throw new Error(`a synthesized document has no kind:\n${document}`);
    (byFile[templateOf(kind)] ??= []).push(document);
  }
  const yaml = (file: string) => withRawHelm((byFile[file] ?? []).join('---\n'));
  const files: Record<string, string> = {
    'templates/manifests.yaml': yaml('templates/manifests.yaml'),
    'templates/serviceaccount.yaml': yaml('templates/serviceaccount.yaml'),
    'templates/secret.yaml': helm.onlyFor('helm-values', yaml('templates/secret.yaml')),
  };
  if (offersSecretsManager(env)) {
    files['templates/external-secrets.yaml'] = helm.onlyFor(
      'aws-secrets-manager',
      yaml('templates/external-secrets.yaml'),
    );
  }
  const all = Object.values(files).join('');
  for (const marker of Object.keys(rawHelm)) {
    if (all.includes(marker))
      throw new Error(`${marker} left in the templates: not an annotations map's only key`);
  }
  return files;
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
    'values.yaml': valuesYaml(env),
    'values.schema.json': `${JSON.stringify(valuesSchema(env), null, 2)}\n`,
    '.helmignore': `${contractFile}\n`,
    ...templateFiles(env, appVersion),
    [contractFile]: `${JSON.stringify(deployContract(env, appVersion), null, 2)}\n`,
  };
}
