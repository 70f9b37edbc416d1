/**
 * `terraform apply -var env=<env>` of terraform/ with the real helm and random providers into the test cluster
 * (two kwok nodes: pods are scheduled and reported Ready, no container runs). Run through
 * `npx nx run cluster-e2e:e2e`. Each environment has its own workspace, hence its own state; prod runs with
 * monitoring off (kube-prometheus-stack cannot be downloaded here), its ServiceMonitor backed by the CRDs the
 * cluster script installs.
 */
import { eventually } from '@shipyard/testing';
import { isReady } from './deploy/installed';
import { releaseLeftovers } from './deploy/lifecycle';
import { leaks } from './deploy/secret-leaks';
import { Kube, type KubeList, type KubeObject } from './kube';
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

it('no generated secret appears in anything terraform printed in this run (init to destroy)', () => {
  expect(generated.length).toBeGreaterThan(0);
  expect(leaks(transcript(), generated)).toEqual([]);
});
