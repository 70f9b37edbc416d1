import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvNames, environments, secretNames } from '@shipyard/config';
import { defaultRefreshInterval, restartOnSecretChangeAnnotation } from './lib/helm-values';
import { deployNames } from './lib/names';
import { stringify } from 'yaml';
import { validateAgainstCrds } from './testing/crds';
import { type K8sObject, only, parseManifests } from './testing/objects';
import { synthToTemp } from './testing/synth-cli';
import { toolchainBinary } from './testing/toolchain';

const helmBinary = toolchainBinary('helm');
const validator = toolchainBinary('pytools', 'kubernetes-validate');

/** Secrets with every character that breaks naive quoting. */
const hostileSecrets = {
  SECRET_KEY: `q"uote'{{ .Values.x }}\\ back\nnew line ${'x'.repeat(16)} €`,
  DB_PASSWORD: 'p@ss: word #1 - [a]',
};

const roleArn = 'arn:aws:iam::123456789012:role/shipyard-prod-api';
const secretArn = (name: string) =>
  `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets/${name}-AbCdEf`;
/** What terraform/ passes with secrets_source = "aws-secrets-manager": no secret value at all. */
const secretsManagerValues = {
  secretsSource: 'aws-secrets-manager',
  serviceAccount: { roleArn },
  awsSecretsManager: {
    region: 'eu-west-1',
    secretIds: Object.fromEntries(secretNames.map((name) => [name, secretArn(name)])),
  },
};
const isCustom = (object: K8sObject) =>
  /^(monitoring\.coreos\.com|external-secrets\.io)\//.test(object.apiVersion);

function helm(args: string[]) {
  const result = spawnSync(helmBinary, args, { encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

describe.each(appEnvNames)('the synthesized %s Helm chart', (env) => {
  let out: string;
  let chart: string;
  let valuesFile: string;
  const render = (values: string) =>
    helm(['template', `api-${env}`, chart, '-f', values, '--kube-version', '1.28.0']);

  beforeAll(() => {
    out = synthToTemp();
    chart = join(out, env);
    valuesFile = join(out, 'values.json');
    writeFileSync(valuesFile, JSON.stringify({ secrets: hostileSecrets }));
  });
  afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  it('passes helm lint --strict with secrets given', () => {
    const { code, output } = helm(['lint', '--strict', chart, '-f', valuesFile]);
    expect(output).toContain('0 chart(s) failed');
    expect(code).toBe(0);
  });

  it('fails helm lint without secrets, naming each one', () => {
    const { code, output } = helm(['lint', '--strict', chart]);
    expect(code).not.toBe(0);
    for (const name of secretNames) expect(output).toContain(`/secrets/${name}`);
  });

  it('refuses to render without secrets', () => {
    const { code, output } = helm(['template', 'x', chart, '--skip-schema-validation']);
    expect(code).not.toBe(0);
    expect(output).toMatch(
      /secrets\.(SECRET_KEY|DB_PASSWORD) is required \(terraform generates it/,
    );
  });

  it('renders objects that are valid Kubernetes 1.28 (strict schema) and valid custom resources', () => {
    const { code, stdout } = render(valuesFile);
    expect(code).toBe(0);
    const objects = parseManifests(stdout);
    const builtIn = join(out, `${env}-builtin.yaml`);
    writeFileSync(
      builtIn,
      objects
        .filter((object) => !isCustom(object))
        .map((object) => stringify(object))
        .join('---\n'),
    );
    const report = execFileSync(validator, ['--strict', '-k', '1.28.0', builtIn], {
      encoding: 'utf8',
    });
    expect(report).not.toMatch(/ERROR|failed/i);
    expect(report.trim().split('\n')).toHaveLength(
      objects.filter((object) => !isCustom(object)).length,
    );
    const custom = objects.filter(isCustom);
    expect(validateAgainstCrds(custom, out)).toBe(custom.length);
  });

  it('stores any character of a secret exactly, and only in the Secret', () => {
    const objects = parseManifests(render(valuesFile).stdout);
    const secret = objects.find((object) => object.kind === 'Secret');
    for (const name of secretNames) {
      expect(Buffer.from(secret?.data[name], 'base64').toString('utf8')).toBe(hostileSecrets[name]);
    }
    const others = JSON.stringify(objects.filter((object) => object.kind !== 'Secret'));
    for (const value of Object.values(hostileSecrets)) {
      expect(others).not.toContain(value);
      expect(others).not.toContain(Buffer.from(value).toString('base64'));
    }
  });

  it('changes the pod template when a secret value changes', () => {
    const checksum = (values: string) =>
      parseManifests(render(values).stdout).find((object) => object.kind === 'Deployment')?.spec
        .template.metadata.annotations['checksum/secrets'];
    const rotated = join(out, 'rotated.json');
    writeFileSync(
      rotated,
      JSON.stringify({ secrets: { ...hostileSecrets, DB_PASSWORD: 'rotated-password' } }),
    );
    expect(checksum(rotated)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(rotated)).not.toBe(checksum(valuesFile));
  });

  it('refuses a malformed IRSA role ARN, naming the value and the bad ARN', () => {
    const bad = 'arn:aws:iam::12345:role/api';
    const { code, output } = helm([
      ...['lint', '--strict', chart, '-f', valuesFile],
      ...['--set', `serviceAccount.roleArn=${bad}`],
    ]);
    expect(output).toContain(`at '/serviceAccount/roleArn': '${bad}' does not match pattern`);
    expect(code).not.toBe(0);
  });

  it('annotates the ServiceAccount with a valid role ARN (IRSA), and with nothing without one', () => {
    const withRole = join(out, `${env}-role.json`);
    writeFileSync(
      withRole,
      JSON.stringify({ secrets: hostileSecrets, serviceAccount: { roleArn } }),
    );
    const lint = helm(['lint', '--strict', chart, '-f', withRole]);
    expect(lint.output).toContain('0 chart(s) failed');
    const account = (values: string) =>
      only(parseManifests(render(values).stdout), 'ServiceAccount').metadata.annotations;
    expect(account(withRole)).toEqual({ 'eks.amazonaws.com/role-arn': roleArn });
    expect(account(valuesFile)).toEqual({});
  });

  it('renders the Secret from Helm values by default, and no ExternalSecret', () => {
    const objects = parseManifests(render(valuesFile).stdout);
    expect(objects.filter((object) => object.kind === 'Secret')).toHaveLength(1);
    expect(
      objects.filter(
        (object) => isCustom(object) && object.apiVersion.startsWith('external-secrets'),
      ),
    ).toEqual([]);
    const deployment = only(objects, 'Deployment');
    expect(deployment.metadata.annotations?.[restartOnSecretChangeAnnotation] ?? '').toBe('');
  });

  if (!environments[env].secretSources.includes('aws-secrets-manager')) {
    it('refuses secrets from AWS Secrets Manager, which this env does not offer', () => {
      const values = join(out, `${env}-sm.json`);
      writeFileSync(values, JSON.stringify(secretsManagerValues));
      const { code, output } = helm(['lint', '--strict', chart, '-f', values]);
      expect(code).not.toBe(0);
      expect(output).toContain("at '/secretsSource': value must be 'helm-values'");
    });
  }

  it('ships no secret value: only empty, documented defaults', () => {
    const values = readFileSync(join(chart, 'values.yaml'), 'utf8');
    for (const name of secretNames) expect(values).toContain(`  ${name}: ""`);
    expect(values).toMatch(/image:\n {2}repository: \S+/);
    const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
    expect(schema.properties.secrets.required).toEqual(secretNames);
  });
});

describe('the prod chart with secrets from AWS Secrets Manager (External Secrets Operator)', () => {
  const names = deployNames('prod');
  let out: string;
  let chart: string;
  let values: string;
  const withValues = (extra: object) => {
    const file = join(out, `sm-${Object.keys(extra).join('-')}-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify({ ...secretsManagerValues, ...extra }));
    return file;
  };
  const render = (file: string) =>
    helm(['template', 'api-prod', chart, '-f', file, '--kube-version', '1.28.0']);

  beforeAll(() => {
    out = synthToTemp();
    chart = join(out, 'prod');
    values = withValues({});
  });
  afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  it('passes helm lint --strict with a role, a region and an ARN per key, and no secret value', () => {
    const { code, output } = helm(['lint', '--strict', chart, '-f', values]);
    expect(output).toContain('0 chart(s) failed');
    expect(code).toBe(0);
  });

  it('renders a SecretStore and one ExternalSecret filling the Secret the pods read, and no Secret', () => {
    const { code, stdout } = render(values);
    expect(code).toBe(0);
    const objects = parseManifests(stdout);
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    const store = only(objects, 'SecretStore');
    expect(store.spec.provider.aws).toEqual({
      service: 'SecretsManager',
      region: 'eu-west-1',
      auth: { jwt: { serviceAccountRef: { name: names.serviceAccount } } },
    });
    expect(only(objects, 'ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': roleArn,
    });
    const external = only(objects, 'ExternalSecret');
    expect(external.spec.refreshInterval).toBe(defaultRefreshInterval);
    expect(external.spec.target).toMatchObject({ name: names.secret, creationPolicy: 'Owner' });
    expect(external.spec.data).toEqual(
      secretNames.map((name) => ({ secretKey: name, remoteRef: { key: secretArn(name) } })),
    );
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.template.spec.containers[0].envFrom).toContainEqual({
      secretRef: { name: names.secret },
    });
    expect(deployment.metadata.annotations?.[restartOnSecretChangeAnnotation]).toBe(names.secret);
  });

  it('renders objects valid for Kubernetes 1.28 and for the CRDs of External Secrets Operator v0.16.2', () => {
    const objects = parseManifests(render(values).stdout);
    const builtIn = join(out, 'sm-builtin.yaml');
    writeFileSync(
      builtIn,
      objects
        .filter((o) => !isCustom(o))
        .map((o) => stringify(o))
        .join('---\n'),
    );
    const report = execFileSync(validator, ['--strict', '-k', '1.28.0', builtIn], {
      encoding: 'utf8',
    });
    expect(report).not.toMatch(/ERROR|failed/i);
    const custom = objects.filter(isCustom);
    expect(custom.map((object) => object.kind)).toEqual(
      expect.arrayContaining(['SecretStore', 'ExternalSecret']),
    );
    expect(validateAgainstCrds(custom, out)).toBe(custom.length);
  });

  it('takes the refresh interval from the values, so a rotation arrives within it', () => {
    const file = withValues({
      awsSecretsManager: { ...secretsManagerValues.awsSecretsManager, refreshInterval: '15s' },
    });
    const external = only(parseManifests(render(file).stdout), 'ExternalSecret');
    expect(external.spec.refreshInterval).toBe('15s');
  });

  it('refuses a malformed role ARN, a missing role, region or key, and a secret value, naming each', () => {
    const refusals: [object, string][] = [
      [
        { serviceAccount: { roleArn: 'arn:aws:iam::1:role/x' } },
        "at '/serviceAccount/roleArn': 'arn:aws:iam::1:role/x' does not match pattern",
      ],
      [{ serviceAccount: {} }, "at '/serviceAccount': missing property 'roleArn'"],
      [
        { awsSecretsManager: { secretIds: secretsManagerValues.awsSecretsManager.secretIds } },
        "at '/awsSecretsManager': missing property 'region'",
      ],
      [
        {
          awsSecretsManager: {
            region: 'eu-west-1',
            secretIds: { SECRET_KEY: secretArn('SECRET_KEY') },
          },
        },
        "at '/awsSecretsManager/secretIds': missing property 'DB_PASSWORD'",
      ],
      [
        {
          awsSecretsManager: {
            region: 'eu-west-1',
            secretIds: {
              ...secretsManagerValues.awsSecretsManager.secretIds,
              DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
            },
          },
        },
        "at '/awsSecretsManager/secretIds/DB_PASSWORD'",
      ],
      [
        {
          awsSecretsManager: { ...secretsManagerValues.awsSecretsManager, refreshInterval: 'soon' },
        },
        "at '/awsSecretsManager/refreshInterval': 'soon' does not match pattern",
      ],
      [
        { secrets: { SECRET_KEY: 'x'.repeat(20), DB_PASSWORD: '' } },
        "at '/secrets/SECRET_KEY': maxLength",
      ],
    ];
    for (const [extra, message] of refusals) {
      const { code, output } = helm(['lint', '--strict', chart, '-f', withValues(extra)]);
      expect({ extra, code, named: output.includes(message) }).toEqual({
        extra,
        code: 1,
        named: true,
      });
    }
  });
});
