import { settingDefinitions, type SecretName, secretNames } from '@shipyard/config';
import { z } from 'zod';

/** Local image name; `nx run api:docker-build` and `minikube image build` produce it. */
export const defaultImageRepository = 'shipyard-api';

/** Helm expressions the synthesized manifests carry, resolved by Helm at install time. */
export const helm = {
  image: '{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}',
  /** base64 cannot contain a quote, so any character a secret holds survives the YAML. */
  secretData: (name: SecretName) =>
    `{{ required \`secrets.${name} is required (terraform generates it; by hand: --set-string secrets.${name}=...)\` .Values.secrets.${name} | b64enc }}`,
  secretsChecksum: '{{ .Values.secrets | toJson | sha256sum }}',
  /** Text Helm must pass through untouched (Grafana's own `{{label}}` templates). */
  literal: (text: string) => text.replaceAll('{{', '{{`{{`}}'),
};

/** values.yaml: every key documented; secrets empty, so nothing installs until they are given. */
export function valuesYaml(): string {
  const secretLines = secretNames.map(
    (name) => `  # ${settingDefinitions[name].description}\n  ${name}: ""`,
  );
  return [
    '# Container image of the API.',
    'image:',
    `  repository: ${defaultImageRepository}`,
    '  # Defaults to the chart appVersion, the version of the API this chart was synthesized from.',
    '  tag: ""',
    '',
    '# Required. Terraform generates them with random_password; never commit real values.',
    'secrets:',
    ...secretLines,
    '',
  ].join('\n');
}

/** values.schema.json: Helm refuses values that break it (lint, template, install, upgrade). */
export function valuesSchema() {
  const secretSchema = (name: SecretName) => {
    const schema = z.toJSONSchema(settingDefinitions[name].schema.unwrap()) as Record<
      string,
      unknown
    >;
    delete schema['$schema'];
    return { ...schema, description: settingDefinitions[name].description };
  };
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'secrets'],
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
      secrets: {
        type: 'object',
        additionalProperties: false,
        required: secretNames,
        properties: Object.fromEntries(secretNames.map((name) => [name, secretSchema(name)])),
      },
    },
  };
}
