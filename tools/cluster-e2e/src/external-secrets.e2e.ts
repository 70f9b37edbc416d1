/**
 * The prod chart with its secrets from AWS Secrets Manager, end to end on the test cluster: External Secrets
 * Operator's real controller (v0.16.2, built by the toolchain) syncs the values from moto into the Kubernetes
 * Secret, a rotation in moto reaches the Secret within the refresh interval, and the chart's secret restarter
 * rolls the Deployment. Run through `npx nx run cluster-e2e:e2e`. What this proves and what it cannot
 * (IRSA's token check by AWS, the controllers as pods): tools/cluster-e2e/README.md, "Secrets from AWS".
 *
 * The steps depend on each other and run in order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { secretRestarterName } from '@shipyard/k8s-manifests';
import { environments } from '@shipyard/config';
import { eventually } from '@shipyard/testing';
import { condition } from './deploy/installed';
import { releaseLeftovers } from './deploy/lifecycle';
import { capturedLeaks, clusterLeaks, remember } from './deploy/secret-leaks';
import { run } from './exec';
import {
  type Component,
  expectRunning,
  startComponent,
  startMoto,
  stopAll,
  stopComponent,
  toolPath,
} from './external-secrets/components';
import { SecretsManager } from './external-secrets/secrets-manager';
import { Kube, type KubeList, type KubeObject } from './kube';
import { generateSecrets, manifestsDir, workspaceRoot } from './release';
import { record } from './transcript';

const kubeconfig = process.env['KUBECONFIG'];
if (!kubeconfig || !process.env['SHIPYARD_CLUSTER_NAME']) {
  throw new Error(
    'no test cluster: run this suite with `npx nx run cluster-e2e:e2e` (tools/cluster-e2e/run.sh)',
  );
}
const kube = Kube.fromKubeconfig(kubeconfig);
const clusterLogs = process.env['SHIPYARD_CLUSTER_LOGS'] ?? '';

/** The names Terraform and the chart share (libs/k8s-manifests contract.ts). */
interface Contract {
  release_name: string;
  release_namespace: string;
  namespace: string;
  deployment_name: string;
  service_account_name: string;
  secret_name: string;
  secret_keys: string[];
  helm_values: { image: { repository: string; tag: string } };
  external_secrets: {
    api_version: string;
    secret_store_name: string;
    external_secret_name: string;
    restart_on_secret_change_annotation: string;
  } | null;
}
const chartDir = join(manifestsDir, 'prod');
const contract = JSON.parse(readFileSync(join(chartDir, 'contract.json'), 'utf8')) as Contract;
const eso = contract.external_secrets;
if (!eso) throw new Error(`${chartDir}/contract.json: prod offers no aws-secrets-manager mode`);
const ns = contract.namespace;

const region = 'eu-west-1';
/** terraform/aws's role name (shipyard-prod-<service account>) in moto's default account. */
const roleArn = `arn:aws:iam::123456789012:role/shipyard-prod-${contract.service_account_name}`;
/** Short, so a rotation arrives quickly; the chart's default is 1m. */
const refreshSeconds = 10;
const timings: string[] = [];
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

const scratch = mkdtempSync(join(tmpdir(), 'shipyard-eso-'));
const helmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  HELM_CONFIG_HOME: join(scratch, 'helm/config'),
  HELM_CACHE_HOME: join(scratch, 'helm/cache'),
  HELM_DATA_HOME: join(scratch, 'helm/data'),
};
const helm = (args: string[], timeoutMs = 60_000) => run('helm', args, { timeoutMs, env: helmEnv });

let aws: SecretsManager;
let controller: Component;
let restarter: Component | undefined;
/** Current value and ARN of each key in Secrets Manager. */
const values: Record<string, string> = {};
const arns: Record<string, string> = {};
let installed = false;

const secretPath = `/api/v1/namespaces/${ns}/secrets/${contract.secret_name}`;
const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/${contract.deployment_name}`;
const externalSecretPath = `/apis/${eso.api_version}/namespaces/${ns}/externalsecrets/${eso.external_secret_name}`;
const secretStorePath = `/apis/${eso.api_version}/namespaces/${ns}/secretstores/${eso.secret_store_name}`;

/** The Kubernetes Secret holds exactly the current Secrets Manager values (compared, never shown). */
async function expectSecretInSync(): Promise<KubeObject> {
  const secret = await kube.get(secretPath, { sensitive: true });
  expect(Object.keys(secret.data ?? {}).sort()).toEqual([...contract.secret_keys].sort());
  for (const key of contract.secret_keys) {
    if (Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8') !== values[key])
      throw new Error(
        `Secret key ${key} does not hold the Secrets Manager value yet (values not shown)`,
      );
  }
  return secret;
}

const podTemplateHash = (pod: KubeObject) => pod.metadata.labels?.['pod-template-hash'];

async function appPods(): Promise<KubeObject[]> {
  const dep = await kube.get(deploymentPath);
  const selector = Object.entries(dep.spec.selector.matchLabels as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await kube.get<KubeList>(
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return pods.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Rolled out: every replica updated and available, and only pods of one template hash left. */
async function settled(): Promise<{ dep: KubeObject; hash: string }> {
  const dep = await kube.get(deploymentPath);
  expect(dep.status?.observedGeneration).toBe(dep.metadata.generation);
  // The HPA raises the Deployment from 1 to its minimum right after install (a generation of its own).
  expect(dep.spec.replicas).toBe(environments.prod.autoscaling.minReplicas);
  expect(condition(dep, 'Available')?.status).toBe('True');
  expect(dep.status?.updatedReplicas).toBe(dep.spec.replicas);
  expect(dep.status?.availableReplicas).toBe(dep.spec.replicas);
  expect(dep.status?.replicas).toBe(dep.spec.replicas);
  const hashes = new Set((await appPods()).map(podTemplateHash));
  expect(hashes.size).toBe(1);
  return { dep, hash: [...hashes][0] as string };
}

/** A kubeconfig that authenticates as the restarter's own ServiceAccount (a bound token), not as admin. */
async function restarterKubeconfig(): Promise<string> {
  const res = await kube.request(
    'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/${secretRestarterName}/token`,
    { body: { spec: { expirationSeconds: 3600 } }, sensitive: true },
  );
  if (res.status !== 201) throw new Error(`TokenRequest for ${secretRestarterName}: ${res.status}`);
  const admin = parseAllDocuments(readFileSync(kubeconfig as string, 'utf8'))[0].toJS();
  const { server, 'certificate-authority': caFile, ...rest } = admin.clusters[0].cluster;
  // The server's CA inline: the admin kubeconfig may name it by a path relative to itself.
  const cluster = {
    server,
    'certificate-authority-data':
      rest['certificate-authority-data'] ??
      readFileSync(resolve(dirname(kubeconfig as string), caFile)).toString('base64'),
  };
  const path = join(scratch, 'restarter.kubeconfig');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: secretRestarterName, user: { token: res.body.status.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: secretRestarterName } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  return path;
}

beforeAll(async () => {
  // ESO's CRDs are the cluster's (cluster.sh installs toolchain eso-crds).
  const moto = await startMoto(clusterLogs);
  aws = new SecretsManager(moto.endpoint, region);
  // As terraform/aws names them (locals.tf app_secret_names) and fills them (32 random characters).
  const initial = generateSecrets(contract.secret_keys);
  for (const key of contract.secret_keys) {
    values[key] = initial[key];
    remember(`Secrets Manager ${key}`, initial[key]);
    arns[key] = await aws.create(`${ns}/${contract.secret_name}/${key}`, initial[key]);
  }

  // The controller as upstream's chart runs it, minus leader election and metrics; AWS endpoints at moto, no
  // AWS credentials in its environment: it gets them from STS with the ServiceAccount's token (IRSA's path).
  const esoBin = await toolPath('eso');
  controller = startComponent(
    'external-secrets',
    clusterLogs,
    join(esoBin, 'external-secrets'),
    ['--metrics-addr=0', '--concurrent=1', '--loglevel=info', `--namespace=${ns}`],
    {
      PATH: process.env['PATH'],
      KUBECONFIG: kubeconfig,
      AWS_SECRETSMANAGER_ENDPOINT: moto.endpoint,
      AWS_STS_ENDPOINT: moto.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  );
}, 180_000);

const uninstall = () =>
  helm(
    [
      'uninstall',
      contract.release_name,
      '--namespace',
      contract.release_namespace,
      '--wait',
      '--timeout',
      '120s',
    ],
    140_000,
  );

afterAll(async () => {
  try {
    if (installed) {
      await uninstall();
      await eventually(
        `namespace ${ns} to be gone`,
        async () => expect(await kube.exists(`/api/v1/namespaces/${ns}`)).toBe(false),
        120_000,
        1_000,
      );
    }
  } finally {
    await stopAll();
    if (timings.length)
      process.stderr.write(`\nexternal-secrets timings (s): ${timings.join(', ')}\n`);
    kube.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}, 300_000);

describe('prod with secretsSource aws-secrets-manager: External Secrets Operator against moto', () => {
  let installedAt = 0;

  it('installs the chart in that mode: SecretStore, ExternalSecret, the secret restarter; no Helm-set Secret', async () => {
    const valuesFile = join(scratch, 'values.json');
    writeFileSync(
      valuesFile,
      JSON.stringify({
        image: contract.helm_values.image,
        secretsSource: 'aws-secrets-manager',
        serviceAccount: { roleArn },
        awsSecretsManager: { region, refreshInterval: `${refreshSeconds}s`, secretIds: arns },
      }),
    );
    installed = true;
    installedAt = Date.now();
    await helm(
      [
        'upgrade',
        '--install',
        contract.release_name,
        chartDir,
        '--namespace',
        contract.release_namespace,
        '--values',
        valuesFile,
        '--atomic',
        '--cleanup-on-fail',
        '--wait',
        '--timeout',
        '180s',
      ],
      200_000,
    );
    const { stdout } = await helm([
      'get',
      'manifest',
      contract.release_name,
      '--namespace',
      contract.release_namespace,
    ]);
    const objects = parseAllDocuments(stdout)
      .map((d) => d.toJS() as KubeObject)
      .filter((o) => o?.kind);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `SecretStore/${eso.secret_store_name}`,
        `ExternalSecret/${eso.external_secret_name}`,
        `Deployment/${secretRestarterName}`,
        `Role/${secretRestarterName}`,
      ]),
    );
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const sa = await kube.get(
      `/api/v1/namespaces/${ns}/serviceaccounts/${contract.service_account_name}`,
    );
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(roleArn);
  }, 240_000);

  it('syncs every key from Secrets Manager into the Secret (IRSA path: token, STS, then Secrets Manager)', async () => {
    await eventually(
      `External Secrets Operator to fill Secret ${contract.secret_name} from Secrets Manager`,
      async () => {
        expectRunning(controller);
        await expectSecretInSync();
      },
      90_000,
      1_000,
    );
    timings.push(`helm install start to synced Secret ${seconds(installedAt)}`);
    const es = await kube.get(externalSecretPath);
    expect(condition(es, 'Ready')).toMatchObject({ status: 'True', reason: 'SecretSynced' });
    const store = await kube.get(secretStorePath);
    expect(condition(store, 'Ready')?.status).toBe('True');
    // ESO got its credentials from STS with the ServiceAccount's token, for the role of its annotation (the
    // session name is ESO's web-identity provider's); its environment holds no AWS credentials.
    expect(await aws.assumedRoleSessions(roleArn)).toContain('external-secrets-provider-aws');
    const secret = await kube.get(secretPath, { sensitive: true });
    // The ExternalSecret owns its Secret (creationPolicy Owner): it goes with the release.
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ExternalSecret', name: eso.external_secret_name }),
    ]);
  }, 120_000);

  it('the restarter, with its own ServiceAccount, takes the synced data as the baseline without rolling', async () => {
    const before = await eventually('the Deployment to settle', settled, 90_000);
    const podsBefore = (await appPods()).map((p) => p.metadata.uid).sort();
    const ownKubeconfig = await restarterKubeconfig();
    // Its Role reaches one Secret and one Deployment, by name; nothing else.
    const canI = async (verb: string, what: string): Promise<boolean> =>
      run('kubectl', ['--kubeconfig', ownKubeconfig, 'auth', 'can-i', verb, what, '-n', ns], {
        timeoutMs: 30_000,
      }).then(
        () => true,
        () => false,
      );
    expect({
      watchItsSecret: await canI('watch', `secrets/${contract.secret_name}`),
      patchTheApi: await canI('patch', `deployments/${contract.deployment_name}`),
      readAnotherSecret: await canI('get', 'secrets/another'),
      listAllSecrets: await canI('list', 'secrets'),
      patchAnotherDeployment: await canI('patch', `deployments/${secretRestarterName}`),
      deleteTheApi: await canI('delete', `deployments/${contract.deployment_name}`),
    }).toEqual({
      watchItsSecret: true,
      patchTheApi: true,
      readAnotherSecret: false,
      listAllSecrets: false,
      patchAnotherDeployment: false,
      deleteTheApi: false,
    });
    restarter = startComponent(
      secretRestarterName,
      clusterLogs,
      join(await toolPath('node22'), 'node'),
      [join(workspaceRoot, 'dist/apps/api/secret-restarter.js')],
      {
        PATH: process.env['PATH'],
        KUBECONFIG: ownKubeconfig,
        // As the chart's Deployment sets them.
        ...Object.fromEntries(
          (
            await kube.get(`/apis/apps/v1/namespaces/${ns}/deployments/${secretRestarterName}`)
          ).spec.template.spec.containers[0].env
            .filter((e: { value?: string }) => e.value !== undefined)
            .map((e: { name: string; value: string }) => [e.name, e.value]),
        ),
        WATCH_NAMESPACE: ns,
      },
    );
    await eventually(
      'the secret restarter to record the synced data on the Deployment',
      async () => {
        expectRunning(restarter as Component);
        const dep = await kube.get(deploymentPath);
        expect(Object.keys(dep.metadata.annotations ?? {}).join(' ')).toMatch(/secret-sha256/);
      },
      30_000,
    );
    // The digest is a Deployment annotation (which bumps its generation: the apiserver copies a Deployment's
    // annotations to its ReplicaSets), the pod template is untouched: same pods, no new ReplicaSet.
    // The controller observes the annotation's generation a moment after the restarter writes it.
    const after = await eventually(
      'the Deployment to settle after the digest annotation',
      settled,
      30_000,
    );
    expect(after.dep.spec).toEqual(before.dep.spec);
    expect(after.hash).toBe(before.hash);
    expect((await appPods()).map((p) => p.metadata.uid).sort()).toEqual(podsBefore);
  }, 150_000);

  it(`a rotation in Secrets Manager reaches the Secret within the refresh interval (${refreshSeconds} s) and rolls the pods`, async () => {
    const before = await eventually('the Deployment to settle', settled, 30_000);
    const podsBefore = new Set((await appPods()).map((p) => p.metadata.uid));
    const key = contract.secret_keys[0];
    const rotated = generateSecrets([key])[key];
    remember(`Secrets Manager ${key} (rotated)`, rotated);
    const rotatedAt = Date.now();
    await aws.rotate(arns[key], rotated);
    values[key] = rotated;

    await eventually(
      `the rotated ${key} to reach Secret ${contract.secret_name} (refreshInterval ${refreshSeconds}s)`,
      async () => {
        expectRunning(controller);
        await expectSecretInSync();
      },
      // One interval, plus the controller's requeue jitter and this loop's own period.
      (refreshSeconds + 10) * 1000,
      500,
    );
    timings.push(`rotation to Secret ${seconds(rotatedAt)}`);

    const rolled = await eventually(
      `the secret restarter (${secretRestarterName}) to roll Deployment ${contract.deployment_name} after the rotation`,
      async () => {
        if (restarter) expectRunning(restarter);
        const state = await settled();
        expect(state.dep.metadata.generation).toBeGreaterThan(before.dep.metadata.generation ?? 0);
        expect(state.hash).not.toBe(before.hash);
        return state;
      },
      90_000,
      1_000,
    );
    timings.push(`rotation to rolled Deployment ${seconds(rotatedAt)}`);
    const pods = await appPods();
    expect(pods.length).toBe(rolled.dep.spec.replicas);
    for (const pod of pods) {
      expect(podsBefore.has(pod.metadata.uid)).toBe(false);
      expect(podTemplateHash(pod)).toBe(rolled.hash);
    }
    const replicaSets = await kube.get<KubeList>(`/apis/apps/v1/namespaces/${ns}/replicasets`);
    const old = replicaSets.items.find(
      (rs) => rs.metadata.labels?.['pod-template-hash'] === before.hash,
    );
    expect(old?.spec.replicas).toBe(0);
  }, 150_000);

  it('no Secrets Manager value in any other object, the rendered chart, the transcript or any component log', async () => {
    const current = Object.entries(values).map(([label, value]) => ({ label, value }));
    const found = await clusterLeaks(kube, current);
    const { stdout } = await helm([
      'get',
      'manifest',
      contract.release_name,
      '--namespace',
      contract.release_namespace,
    ]);
    record('helm get manifest (ESO mode: holds no Secret)', stdout);
    found.push(...capturedLeaks(clusterLogs));
    expect(found).toEqual([]);
  }, 60_000);

  it('uninstall leaves no object of the release; the synced Secret goes with its ExternalSecret', async () => {
    if (restarter) await stopComponent(restarter);
    await uninstall();
    installed = false;
    await eventually(
      'every object of the release to be gone',
      async () => {
        expect(await kube.exists(`/api/v1/namespaces/${ns}`)).toBe(false);
        expect(await releaseLeftovers(kube, contract.release_name)).toEqual([]);
      },
      120_000,
      2_000,
    );
  }, 180_000);
});
