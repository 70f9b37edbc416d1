import {
  type AppEnv,
  environments,
  type SecretName,
  secretNames,
  type SecretSource,
  settingDefinitions,
} from '@shipyard/config';
import { z } from 'zod';
import { deployNames } from './names';

/** Local image name; `nx run api:docker-build` and `minikube image build` produce it. */
export const defaultImageRepository = 'shipyard-api';

/** How often External Secrets Operator re-reads Secrets Manager: the most a rotation waits to reach the Secret. */
export const defaultRefreshInterval = '1m';

/** Annotation IRSA reads on a ServiceAccount (and External Secrets Operator's jwt auth with it). */
export const roleArnAnnotation = 'eks.amazonaws.com/role-arn';

/**
 * On the Deployment: names the Secret whose changes must roll the pods, set only when External Secrets
 * Operator writes that Secret (Helm's checksum annotation cannot see those changes). Whatever restarts the
 * pods on a Secret change reads it; empty when Helm sets the Secret itself.
 */
export const restartOnSecretChangeAnnotation = 'shipyard.dev/restart-on-secret-change';

/** IAM role ARN; a path (role/team/name) is allowed, as IAM allows it. */
export const roleArnPattern = '^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$';
/** Secrets Manager secret ARN or name (GetSecretValue's SecretId takes either). */
export const secretIdPattern =
  '^(arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}|[A-Za-z0-9/_+=.@-]{1,512})$';
export const regionPattern = '^[a-z]{2}(-[a-z]+)+-[0-9]+$';
/** A Go duration, as External Secrets Operator parses refreshInterval. */
export const durationPattern = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

export function offersSecretsManager(env: AppEnv): boolean {
  return environments[env].secretSources.includes('aws-secrets-manager');
}

const when = (source: SecretSource) => `eq .Values.secretsSource "${source}"`;

/** Helm expressions the synthesized manifests carry, resolved by Helm at install time. */
export const helm = {
  image: '{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}',
  /** base64 cannot contain a quote, so any character a secret holds survives the YAML. */
  secretData: (name: SecretName) =>
    `{{ required \`secrets.${name} is required (terraform generates it; by hand: --set-string secrets.${name}=...)\` .Values.secrets.${name} | b64enc }}`,
  secretsChecksum: '{{ .Values.secrets | toJson | sha256sum }}',
  /** Text Helm must pass through untouched (Grafana's own `{{label}}` templates). */
  literal: (text: string) => text.replaceAll('{{', '{{`{{`}}'),
  /**
   * The ServiceAccount's whole `annotations` map, as a YAML flow mapping: the role annotation only when a role
   * is given (an empty role-arn annotation would still make EKS inject web-identity settings).
   */
  serviceAccountAnnotations: `{{ with .Values.serviceAccount.roleArn }}{"${roleArnAnnotation}": {{ toJson . }}}{{ else }}{}{{ end }}`,
  restartOnSecretChange: (secret: string) =>
    `{{ if ${when('aws-secrets-manager')} }}${secret}{{ end }}`,
  /** Wraps a template file's objects so that Helm renders them only for one secret source. */
  onlyFor: (source: SecretSource, yaml: string) => `{{- if ${when(source)} }}\n${yaml}{{- end }}\n`,
  awsRegion: `{{ required \`awsSecretsManager.region is required with secretsSource=aws-secrets-manager (e.g. eu-west-1)\` .Values.awsSecretsManager.region }}`,
  refreshInterval: `{{ .Values.awsSecretsManager.refreshInterval | default "${defaultRefreshInterval}" }}`,
  secretId: (name: SecretName) =>
    `{{ required \`awsSecretsManager.secretIds.${name} is required with secretsSource=aws-secrets-manager (the Secrets Manager ARN of ${name}; terraform/aws output app_secret_arns)\` .Values.awsSecretsManager.secretIds.${name} }}`,
};

/**
 * Annotations maps that Helm builds (a YAML flow mapping, not a value cdk8s can write): the construct sets
 * the marker as its only annotation key and the chart writer swaps the map for the template (helm-chart.ts).
 */
export const rawHelm = {
  HELM_RAW_SERVICE_ACCOUNT_ANNOTATIONS: helm.serviceAccountAnnotations,
} as const;
export type RawHelmMarker = keyof typeof rawHelm;

/** values.yaml: every key documented; secrets empty, so nothing installs until they are given. */
export function valuesYaml(env: AppEnv): string {
  const names = deployNames(env);
  const sources = environments[env].secretSources;
  const secretLines = secretNames.map(
    (name) => `  # ${settingDefinitions[name].description}\n  ${name}: ""`,
  );
  const awsLines = offersSecretsManager(env)
    ? [
        '',
        '# With secretsSource aws-secrets-manager: External Secrets Operator (installed in the cluster, CRDs',
        `# external-secrets.io/v1) syncs each key from Secrets Manager into the Secret ${names.secret}, through a`,
        `# SecretStore that authenticates as the ServiceAccount ${names.serviceAccount} (IRSA: serviceAccount.roleArn is required).`,
        'awsSecretsManager:',
        '  # Region of the secrets, e.g. eu-west-1. Required in that mode.',
        '  # region: eu-west-1',
        '  # How often the secrets are re-read: the longest a rotation takes to reach the Secret (a Go duration).',
        `  refreshInterval: ${defaultRefreshInterval}`,
        '  # Secrets Manager ARN (or name) per key; every key is required in that mode (terraform/aws: output app_secret_arns).',
        '  secretIds: {}',
        ...secretNames.map(
          (name) =>
            `  #   ${name}: arn:aws:secretsmanager:eu-west-1:123456789012:secret:${names.namespace}/${names.secret}/${name}-AbCdEf`,
        ),
      ]
    : [];
  return [
    '# Container image of the API.',
    'image:',
    `  repository: ${defaultImageRepository}`,
    '  # Defaults to the chart appVersion, the version of the API this chart was synthesized from.',
    '  tag: ""',
    '',
    `# The pods' ServiceAccount (${names.serviceAccount}).`,
    'serviceAccount: {}',
    `  # IAM role for IRSA, set as its ${roleArnAnnotation} annotation (terraform/aws: output app_role_arn).`,
    '  # roleArn: arn:aws:iam::123456789012:role/shipyard-prod-api',
    '',
    `# Where the values of the Secret ${names.secret} come from: ${sources.join(' or ')}.`,
    '# helm-values: the secrets.* values below.',
    ...(offersSecretsManager(env)
      ? [
          '# aws-secrets-manager: AWS Secrets Manager through External Secrets Operator (awsSecretsManager.*).',
        ]
      : []),
    `secretsSource: ${sources[0]}`,
    '',
    '# With secretsSource helm-values: required. Terraform generates them with random_password; never commit',
    '# real values. With aws-secrets-manager: leave them empty.',
    'secrets:',
    ...secretLines,
    ...awsLines,
    '',
  ].join('\n');
}

/** values.schema.json: Helm refuses values that break it (lint, template, install, upgrade). */
export function valuesSchema(env: AppEnv) {
  const sources = environments[env].secretSources;
  const secretSchema = (name: SecretName) => {
    const schema = z.toJSONSchema(settingDefinitions[name].schema.unwrap()) as Record<
      string,
      unknown
    >;
    delete schema['$schema'];
    return { ...schema, description: settingDefinitions[name].description };
  };
  const perSecret = (schema: (name: SecretName) => object) =>
    Object.fromEntries(secretNames.map((name) => [name, schema(name)]));
  const ifSource = (source: SecretSource) => ({
    required: ['secretsSource'],
    properties: { secretsSource: { const: source } },
  });
  const helmValuesRules = {
    if: ifSource('helm-values'),
    then: { properties: { secrets: { properties: perSecret(secretSchema) } } },
  };
  const secretsManagerRules = {
    if: ifSource('aws-secrets-manager'),
    then: {
      required: ['serviceAccount', 'awsSecretsManager'],
      properties: {
        serviceAccount: { required: ['roleArn'] },
        awsSecretsManager: {
          required: ['region', 'secretIds'],
          properties: { secretIds: { required: secretNames } },
        },
        // A secret given to Helm here would be silently ignored: refuse it instead.
        secrets: {
          properties: perSecret((name) => ({
            maxLength: 0,
            description: `must be empty with secretsSource aws-secrets-manager (${name} comes from awsSecretsManager.secretIds.${name})`,
          })),
        },
      },
    },
  };
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'secretsSource', 'secrets'],
    properties: {
      image: {
        type: 'object',
        additionalProperties: false,
        required: ['repository'],
        properties: {
          repository: { type: 'string', minLength: 1, description: 'Image repository.' },
          tag: { type: 'string', description: 'Image tag; empty means the chart appVersion.' },
        },
      },
      serviceAccount: {
        type: 'object',
        additionalProperties: false,
        properties: {
          roleArn: {
            type: 'string',
            pattern: roleArnPattern,
            description: `IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), set as the ServiceAccount's ${roleArnAnnotation} annotation.`,
          },
        },
      },
      secretsSource: {
        type: 'string',
        enum: [...sources],
        description: offersSecretsManager(env)
          ? 'helm-values (secrets.*) or aws-secrets-manager (External Secrets Operator, awsSecretsManager.*).'
          : `Only helm-values: the ${env} environment has no Secrets Manager (libs/config secretSources).`,
      },
      secrets: {
        type: 'object',
        additionalProperties: false,
        required: secretNames,
        properties: perSecret((name) => ({
          type: 'string',
          description: settingDefinitions[name].description,
        })),
      },
      ...(offersSecretsManager(env)
        ? {
            awsSecretsManager: {
              type: 'object',
              additionalProperties: false,
              properties: {
                region: { type: 'string', pattern: regionPattern, description: 'AWS region.' },
                refreshInterval: {
                  type: 'string',
                  pattern: durationPattern,
                  description:
                    'How often External Secrets Operator re-reads the secrets (Go duration).',
                },
                secretIds: {
                  type: 'object',
                  additionalProperties: false,
                  properties: perSecret((name) => ({
                    type: 'string',
                    pattern: secretIdPattern,
                    description: `Secrets Manager ARN or name of ${name}.`,
                  })),
                },
              },
            },
          }
        : {}),
    },
    allOf: offersSecretsManager(env) ? [helmValuesRules, secretsManagerRules] : [helmValuesRules],
  };
}
