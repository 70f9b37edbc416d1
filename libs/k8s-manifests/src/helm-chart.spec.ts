import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvNames, secretNames } from '@shipyard/config';
import { stringify } from 'yaml';
import { validateAgainstCrds } from './testing/crds';
import { type K8sObject, parseManifests } from './testing/objects';
import { synthToTemp } from './testing/synth-cli';
import { toolchainBinary } from './testing/toolchain';

const helmBinary = toolchainBinary('helm');
const validator = toolchainBinary('pytools', 'kubernetes-validate');

/** Secrets with every character that breaks naive quoting. */
const hostileSecrets = {
  SECRET_KEY: `q"uote'{{ .Values.x }}\\ back\nnew line ${'x'.repeat(16)} €`,
  DB_PASSWORD: 'p@ss: word #1 - [a]',
};

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
    const isCustom = (object: K8sObject) => object.apiVersion.startsWith('monitoring.coreos.com/');
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

  it('ships no secret value: only empty, documented defaults', () => {
    const values = readFileSync(join(chart, 'values.yaml'), 'utf8');
    for (const name of secretNames) expect(values).toContain(`  ${name}: ""`);
    expect(values).toMatch(/image:\n {2}repository: \S+/);
    const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
    expect(schema.properties.secrets.required).toEqual(secretNames);
  });
});
