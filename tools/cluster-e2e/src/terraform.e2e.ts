/**
 * `terraform apply -var env=<env>` of terraform/ with the real helm and random providers into the test cluster
 * (two kwok nodes: pods are scheduled and reported Ready, no container runs). Run through
 * `npx nx run cluster-e2e:e2e`. Each environment has its own workspace, hence its own state; prod runs with
 * monitoring off (kube-prometheus-stack cannot be downloaded here), its ServiceMonitor backed by the CRDs the
 * cluster script installs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@shipyard/testing';
import { isReady } from './deploy/installed';
import { releaseLeftovers } from './deploy/lifecycle';
import { leaks } from './deploy/secret-leaks';
import { Kube, type KubeList, type KubeObject } from './kube';
import { manifestsDir } from './release';
import { secondsSince, TerraformRoot } from './terraform-root';
import { transcript } from './transcript';

const kubeconfig = process.env['KUBECONFIG'];
if (!kubeconfig || !process.env['SHIPYARD_CLUSTER_NAME']) {
  throw new Error(
    'no test cluster: run this suite with `npx nx run cluster-e2e:e2e` (tools/cluster-e2e/run.sh)',
  );
}
const kube = Kube.fromKubeconfig(kubeconfig);
const root = new TerraformRoot(kubeconfig);
const timings: string[] = [];
/** Every value the random provider generated in this run, by label (never printed). */
const generated: { label: string; value: string }[] = [];

afterAll(() => {
  if (timings.length) process.stderr.write(`\nterraform timings (s): ${timings.join(', ')}\n`);
  kube.close();
  root.cleanup();
});

interface Outputs {
  namespace: { value: string };
  release: { value: { name: string; namespace: string; status: string } };
}

/** Throws without putting either value into the message. */
function expectSameValues(
  actual: Record<string, string>,
  expected: Record<string, string>,
  what: string,
) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected))
    if (actual[key] !== expected[key])
      throw new Error(`${what}: ${key} differs (values not shown)`);
}

async function outputs(): Promise<Outputs> {
  return JSON.parse(await root.tf(['output', '-json', '-no-color'], 30_000)) as Outputs;
}

/** The app's Secret as the cluster holds it, decoded (read unrecorded). */
async function clusterSecrets(namespace: string, keys: string[]): Promise<Record<string, string>> {
  const list = await kube.get<KubeList>(`/api/v1/namespaces/${namespace}/secrets`, {
    sensitive: true,
  });
  const app = list.items.filter(
    (s) => (s as { type?: string }).type !== 'helm.sh/release.v1' && keys.every((k) => s.data?.[k]),
  );
  if (app.length !== 1)
    throw new Error(`expected one Secret holding ${keys.join(', ')}, found ${app.length}`);
  return Object.fromEntries(
    keys.map((k) => [k, Buffer.from(app[0].data?.[k] ?? '', 'base64').toString('utf8')]),
  );
}

/** Helm's release records (revision numbers) of a release. */
async function revisions(release: Outputs['release']['value']): Promise<string[]> {
  const selector = encodeURIComponent(`owner=helm,name=${release.name}`);
  const list = await kube.get<KubeList>(
    `/api/v1/namespaces/${release.namespace}/secrets?labelSelector=${selector}`,
    { sensitive: true },
  );
  return list.items
    .map((s) => `${s.metadata.labels?.['version']}:${s.metadata.labels?.['status']}`)
    .sort();
}

async function podsReady(namespace: string): Promise<KubeObject[]> {
  const deployments = await kube.get<KubeList>(`/apis/apps/v1/namespaces/${namespace}/deployments`);
  expect(deployments.items).toHaveLength(1);
  const dep = deployments.items[0];
  expect(dep.status?.observedGeneration).toBe(dep.metadata.generation);
  expect(dep.status?.readyReplicas).toBe(dep.spec.replicas);
  const pods = (await kube.get<KubeList>(`/api/v1/namespaces/${namespace}/pods`)).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
  expect(pods.length).toBeGreaterThanOrEqual(dep.spec.replicas);
  expect(
    pods.filter((p) => p.status?.phase !== 'Running' || !isReady(p)).map((p) => p.metadata.name),
  ).toEqual([]);
  return pods;
}

beforeAll(async () => {
  await root.writeCliConfig();
  const start = performance.now();
  await root.tf(['init', '-input=false', '-no-color'], 300_000);
  timings.push(`init ${secondsSince(start)}`);
}, 960_000);

it('refuses to apply an environment in the default workspace, before planning anything', async () => {
  const { code, output } = await root.tfStatus(['plan', '-no-color', ...root.vars('dev')], 120_000);
  expect(code).not.toBe(0);
  expect(output.replace(/\s+/g, ' ')).toContain('Run `terraform workspace select -or-create dev`');
  expect(await root.stateList()).toEqual([]);
}, 150_000);

describe.each<{ env: string; extra: Record<string, string> }>([
  { env: 'dev', extra: {} },
  // kube-prometheus-stack cannot be downloaded here; the cluster has the Prometheus Operator CRDs.
  { env: 'prod', extra: { enable_monitoring: 'false' } },
])('terraform apply -var env=$env with the real providers', ({ env, extra }) => {
  const other = env === 'dev' ? 'prod' : 'dev';
  let applied: Outputs;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    await root.tf(['workspace', 'select', '-or-create', '-no-color', env], 30_000);
    const start = performance.now();
    await root.tf(
      ['apply', '-auto-approve', '-input=false', '-no-color', ...root.vars(env, extra)],
      400_000,
    );
    timings.push(`${env} apply ${secondsSince(start)}`);
    applied = await outputs();
    secrets = await root.secretValues();
    for (const [key, value] of Object.entries(secrets))
      generated.push({ label: `${env} ${key}`, value });
  }, 460_000);

  it('deploys the release, its pods Ready, with the generated secrets in the cluster', async () => {
    expect(applied.release.value.status).toBe('deployed');
    expect(await revisions(applied.release.value)).toEqual(['1:deployed']);
    expect(Object.keys(secrets).length).toBeGreaterThan(0);
    await eventually('the pods to be Ready', () => podsReady(applied.namespace.value), 60_000);
    expectSameValues(
      await clusterSecrets(applied.namespace.value, Object.keys(secrets)),
      secrets,
      'the cluster Secret',
    );
  }, 90_000);

  it('plans no change on a second run (plan -detailed-exitcode exits 0)', async () => {
    await root.tf(
      ['plan', '-detailed-exitcode', '-input=false', '-no-color', ...root.vars(env, extra)],
      180_000,
    );
  }, 200_000);

  it(`refuses -var env=${other} on this state before changing anything, naming the fix`, async () => {
    const before = await revisions(applied.release.value);
    const serial = await root.stateSerial();
    const { code, output } = await root.tfStatus(
      ['apply', '-auto-approve', '-input=false', '-no-color', ...root.vars(other)],
      180_000,
    );
    expect(code).not.toBe(0);
    const message = output.replace(/\s+/g, ' ');
    expect(message).toContain(`belongs to env "${env}", not "${other}"`);
    expect(message).toContain(`Run \`terraform workspace select -or-create ${other}\``);
    expect(await root.stateSerial()).toBe(serial);
    expect(await revisions(applied.release.value)).toEqual(before);
    expect((await outputs()).release.value.status).toBe('deployed');
    expectSameValues(await root.secretValues(), secrets, 'the state');
    expectSameValues(
      await clusterSecrets(applied.namespace.value, Object.keys(secrets)),
      secrets,
      'the cluster Secret',
    );
    await eventually('the pods to be Ready', () => podsReady(applied.namespace.value), 60_000);
  }, 200_000);

  it('shows no generated secret in terraform output -json nor in any plan or apply output', async () => {
    const mine = generated.filter((g) => g.label.startsWith(`${env} `));
    expect(leaks(JSON.stringify(await outputs()), mine)).toEqual([]);
    expect(leaks(transcript(), generated)).toEqual([]);
  });

  it('destroy leaves no object of the release and an empty state', async () => {
    const start = performance.now();
    await root.tf(
      ['destroy', '-auto-approve', '-input=false', '-no-color', ...root.vars(env, extra)],
      300_000,
    );
    timings.push(`${env} destroy ${secondsSince(start)}`);
    expect(await root.stateList()).toEqual([]);
    await eventually(
      'every object of the release to be gone',
      async () => {
        await expect(kube.exists(`/api/v1/namespaces/${applied.namespace.value}`)).resolves.toBe(
          false,
        );
        expect(await revisions(applied.release.value)).toEqual([]);
        expect(await releaseLeftovers(kube, applied.release.value.name)).toEqual([]);
      },
      120_000,
      2_000,
    );
  }, 450_000);
});

/**
 * prod with its secrets from AWS Secrets Manager, as the pipeline applies it with terraform/aws's outputs. No
 * External Secrets Operator runs here (nor AWS): the cluster has its CRDs, so this proves what Terraform and
 * the chart do (no generated secret anywhere, the SecretStore and ExternalSecret carrying role, region and
 * ARNs); the sync itself is the ESO controller test's.
 */
describe('terraform apply -var env=prod -var secrets_source=aws-secrets-manager', () => {
  const contract = JSON.parse(readFileSync(join(manifestsDir, 'prod/contract.json'), 'utf8')) as {
    namespace: string;
    service_account_name: string;
    secret_name: string;
    secret_keys: string[];
    deployment_name: string;
    external_secrets: {
      api_version: string;
      secret_store_name: string;
      external_secret_name: string;
      restart_on_secret_change_annotation: string;
    };
  };
  const es = contract.external_secrets;
  const region = 'eu-west-1';
  const roleArn = 'arn:aws:iam::123456789012:role/shipyard-prod-api';
  // The names terraform/aws gives them (namespace/secret/key), with the random suffix AWS appends.
  const arns = Object.fromEntries(
    contract.secret_keys.map((key) => [
      key,
      `arn:aws:secretsmanager:${region}:123456789012:secret:${contract.namespace}/${contract.secret_name}/${key}-AbCdEf`,
    ]),
  );
  const extra = {
    enable_monitoring: 'false',
    secrets_source: 'aws-secrets-manager',
    aws_region: region,
    app_role_arn: roleArn,
    app_secret_arns: `{${Object.entries(arns)
      .map(([key, arn]) => `${key} = "${arn}"`)
      .join(', ')}}`,
  };
  const base = `/apis/${es.api_version}/namespaces/${contract.namespace}`;
  let applied: Outputs;

  beforeAll(async () => {
    await root.tf(['workspace', 'select', '-or-create', '-no-color', 'prod'], 30_000);
    const start = performance.now();
    await root.tf(
      ['apply', '-auto-approve', '-input=false', '-no-color', ...root.vars('prod', extra)],
      400_000,
    );
    timings.push(`prod (Secrets Manager) apply ${secondsSince(start)}`);
    applied = await outputs();
  }, 460_000);

  it('deploys the release with no random_password and no secret value in the state', async () => {
    expect(applied.release.value.status).toBe('deployed');
    expect(await root.stateList()).not.toContainEqual(expect.stringContaining('random_password'));
    const state = await root.tf(['state', 'pull'], 30_000, true);
    expect(state).not.toContain('"random_password"');
    expect(await root.secretValues()).toEqual({});
    expect(leaks(state, generated)).toEqual([]);
  });

  it('creates the SecretStore (IRSA through the app ServiceAccount) and the ExternalSecret with the ARNs', async () => {
    const store = await kube.get(`${base}/secretstores/${es.secret_store_name}`);
    expect(store.spec.provider.aws).toEqual({
      service: 'SecretsManager',
      region,
      auth: { jwt: { serviceAccountRef: { name: contract.service_account_name } } },
    });
    const external = await kube.get(`${base}/externalsecrets/${es.external_secret_name}`);
    expect(external.spec.secretStoreRef).toEqual({
      kind: 'SecretStore',
      name: es.secret_store_name,
    });
    expect(external.spec.target).toMatchObject({
      name: contract.secret_name,
      creationPolicy: 'Owner',
    });
    expect(
      Object.fromEntries(
        (external.spec.data as { secretKey: string; remoteRef: { key: string } }[]).map((entry) => [
          entry.secretKey,
          entry.remoteRef.key,
        ]),
      ),
    ).toEqual(arns);
    const account = await kube.get(
      `/api/v1/namespaces/${contract.namespace}/serviceaccounts/${contract.service_account_name}`,
    );
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(roleArn);
    const deployment = await kube.get(
      `/apis/apps/v1/namespaces/${contract.namespace}/deployments/${contract.deployment_name}`,
    );
    expect(deployment.metadata.annotations?.[es.restart_on_secret_change_annotation]).toBe(
      contract.secret_name,
    );
    // Helm renders no Secret of its own; only the ESO controller (not running here) would create it.
    await expect(
      kube.exists(`/api/v1/namespaces/${contract.namespace}/secrets/${contract.secret_name}`),
    ).resolves.toBe(false);
  });

  it('plans no change on a second run (plan -detailed-exitcode exits 0)', async () => {
    await root.tf(
      ['plan', '-detailed-exitcode', '-input=false', '-no-color', ...root.vars('prod', extra)],
      180_000,
    );
  }, 200_000);

  it('destroy leaves no object of the release and an empty state', async () => {
    await root.tf(
      ['destroy', '-auto-approve', '-input=false', '-no-color', ...root.vars('prod', extra)],
      300_000,
    );
    expect(await root.stateList()).toEqual([]);
    await eventually(
      'every object of the release to be gone',
      async () => {
        await expect(kube.exists(`/api/v1/namespaces/${contract.namespace}`)).resolves.toBe(false);
        expect(await releaseLeftovers(kube, applied.release.value.name)).toEqual([]);
      },
      120_000,
      2_000,
    );
  }, 450_000);
});

it('no generated secret appears in anything terraform printed in this run (init to destroy)', () => {
  expect(generated.length).toBeGreaterThan(0);
  expect(leaks(transcript(), generated)).toEqual([]);
});
