/**
 * Installs each environment's synthesized chart, with the release the Terraform module computes, into a real
 * kube-apiserver with two kwok nodes, and checks what the cluster did. Run through `npx nx run integration:e2e`
 * (tools/integration/run.sh), which starts the cluster around this suite and always stops it.
 *
 * The steps of one environment depend on each other and run in order (Jest runs a file's tests sequentially).
 */
import { type AppEnv, environments } from '@shipyard/config';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './eventually';
import { Kube, type KubeList, type KubeObject } from './kube';
import {
  cleanup,
  computeRelease,
  generateSecrets,
  helmInstall,
  helmManifest,
  helmReleases,
  helmUninstall,
  type Release,
} from './release';
import { transcript } from './transcript';

const kubeconfig = process.env['KUBECONFIG'];
if (!kubeconfig || !process.env['SHIPYARD_CLUSTER_NAME']) {
  throw new Error(
    'no test cluster: run this suite with `npx nx run integration:e2e` (tools/integration/run.sh)',
  );
}
const kube = Kube.fromKubeconfig(kubeconfig);
const clusterLogs = process.env['SHIPYARD_CLUSTER_LOGS'] ?? '';

/** Every secret value generated in this run, by where it came from (never printed). */
const generated: { label: string; value: string }[] = [];

afterAll(() => {
  kube.close();
  cleanup();
});

// ---------------------------------------------------------------------------------------------- helpers

const selectorOf = (matchLabels: Record<string, string>) =>
  Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const isReady = (obj: KubeObject) =>
  obj.status?.conditions?.some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );

const condition = (obj: KubeObject, type: string) =>
  obj.status?.conditions?.find((c: { type: string }) => c.type === type);

async function nodes(): Promise<KubeObject[]> {
  return (await kube.get<KubeList>('/api/v1/nodes')).items;
}

async function cordon(names: string[], unschedulable: boolean): Promise<void> {
  for (const name of names)
    await kube.mergePatch(`/api/v1/nodes/${name}`, { spec: { unschedulable } });
}

/** Values, and their base64 form (as in a Secret's data), that occur in `text`; only labels are returned. */
function leaks(text: string, secrets: { label: string; value: string }[]): string[] {
  const found: string[] = [];
  for (const { label, value } of secrets) {
    if (text.includes(value)) found.push(label);
    if (text.includes(Buffer.from(value).toString('base64'))) found.push(`${label} (base64)`);
  }
  return found;
}

/** Throws without putting either value into the message. */
function expectSameSecret(actual: string | undefined, expected: string, what: string): void {
  if (actual !== expected)
    throw new Error(`${what} does not hold the generated value (values not shown)`);
}

const helmWarnings = /violate[s]? PodSecurity/i;

// -------------------------------------------------------------------------------------------- the suite

interface Installed {
  release: Release;
  secrets: Record<string, string>;
  objects: KubeObject[];
  helmOutput: string;
  deployment: KubeObject;
  selector: string;
}

function describeEnvironment(env: AppEnv): void {
  const settings = environments[env];
  const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = settings.autoscaling;
  const { maxUnavailable } = settings.disruptionBudget;
  // A PDB with maxUnavailable over `minReplicas` healthy pods allows this many disruptions.
  const allowedDisruptions = Math.min(maxUnavailable, minReplicas);

  describe(`${env}: the chart installed with the release terraform/modules/release computes`, () => {
    const ctx = {} as Installed;
    const ns = () => ctx.release.namespace;
    const one = (kind: string) => {
      const found = ctx.objects.filter((o) => o.kind === kind);
      if (found.length !== 1)
        throw new Error(`expected one ${kind} in the chart, found ${found.length}`);
      return found[0];
    };
    const activePods = async () =>
      (
        await kube.get<KubeList>(
          `/api/v1/namespaces/${ns()}/pods?labelSelector=${encodeURIComponent(ctx.selector)}`,
        )
      ).items.filter(
        (p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase),
      );
    const readyPods = async () =>
      (await activePods()).filter((p) => p.status?.phase === 'Running' && isReady(p));
    const readyEndpoints = async () => {
      const slices = await kube.get<KubeList<KubeObject & { endpoints?: unknown[] }>>(
        `/apis/discovery.k8s.io/v1/namespaces/${ns()}/endpointslices?labelSelector=${encodeURIComponent(
          `kubernetes.io/service-name=${ctx.release.service_name}`,
        )}`,
      );
      return slices.items
        .flatMap(
          (s) =>
            (s.endpoints ?? []) as {
              addresses: string[];
              conditions?: { ready?: boolean };
              nodeName?: string;
            }[],
        )
        .filter((e) => e.conditions?.ready === true)
        .map((e) => ({ ip: e.addresses[0], node: e.nodeName }));
    };
    const deployment = () =>
      kube.get(`/apis/apps/v1/namespaces/${ns()}/deployments/${ctx.deployment.metadata.name}`);
    /** Rolled out, Available, with the HPA's minimum of Running+Ready pods. */
    const settled = async () => {
      const dep = await deployment();
      expect(dep.status?.observedGeneration).toBe(dep.metadata.generation);
      expect(condition(dep, 'Available')?.status).toBe('True');
      expect(dep.spec.replicas).toBe(minReplicas);
      expect(dep.status?.updatedReplicas).toBe(minReplicas);
      expect(dep.status?.availableReplicas).toBe(minReplicas);
      expect(dep.status?.replicas).toBe(minReplicas);
      const pods = await readyPods();
      expect(pods).toHaveLength(minReplicas);
      expect(await activePods()).toHaveLength(minReplicas);
      return { dep, pods };
    };
    const hpaPath = () =>
      `/apis/autoscaling/v2/namespaces/${ns()}/horizontalpodautoscalers/${one('HorizontalPodAutoscaler').metadata.name}`;
    const pdbPath = () =>
      `/apis/policy/v1/namespaces/${ns()}/poddisruptionbudgets/${one('PodDisruptionBudget').metadata.name}`;
    const pdbSettled = async () => {
      const pdb = await kube.get(pdbPath());
      expect(pdb.status?.observedGeneration).toBe(pdb.metadata.generation);
      expect(pdb.status?.expectedPods).toBe(minReplicas);
      expect(pdb.status?.currentHealthy).toBe(minReplicas);
      expect(pdb.status?.disruptionsAllowed).toBe(allowedDisruptions);
      return pdb;
    };

    beforeAll(async () => {
      ctx.release = await computeRelease(env);
      ctx.secrets = generateSecrets(ctx.release.secret_keys);
      for (const [key, value] of Object.entries(ctx.secrets))
        generated.push({ label: `${env} ${key}`, value });
      ctx.helmOutput = await helmInstall(ctx.release, ctx.secrets);
      ctx.objects = await helmManifest(ctx.release);
      ctx.deployment = one('Deployment');
      ctx.selector = selectorOf(ctx.deployment.spec.selector.matchLabels);
    }, 300_000);

    it('installs every object of the chart', async () => {
      const kinds = new Set(ctx.objects.map((o) => o.kind));
      for (const kind of [
        'Namespace',
        'ServiceAccount',
        'ConfigMap',
        'Secret',
        'Deployment',
        'Service',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]) {
        expect(kinds).toContain(kind);
      }
      if (ctx.release.enable_monitoring) expect(kinds).toContain('ServiceMonitor');
      const missing: string[] = [];
      for (const obj of ctx.objects) {
        if (!(await kube.exists(await kube.objectPath(obj)))) {
          missing.push(`${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        }
      }
      expect(missing).toEqual([]);
      expect(one('Namespace').metadata.name).toBe(ns());
    });

    it('enforces restricted Pod Security: our pods are admitted, a non-compliant pod is refused', async () => {
      const namespace = await kube.get(`/api/v1/namespaces/${ns()}`);
      expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      // The namespace also has warn=restricted: a non-compliant pod template would have drawn a warning.
      expect(ctx.helmOutput).not.toMatch(helmWarnings);
      expect((await activePods()).length).toBeGreaterThan(0);

      const attempt = async (
        name: string,
        securityContext: object,
        podSecurityContext: object = {},
      ) =>
        kube.request('POST', `/api/v1/namespaces/${ns()}/pods`, {
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name },
            spec: {
              // The chart's ServiceAccount: it exists for sure (the namespace's default one appears a bit later).
              serviceAccountName: one('ServiceAccount').metadata.name,
              securityContext: podSecurityContext,
              containers: [{ name: 'probe', image: 'probe:1', securityContext }],
            },
          },
        });
      const privileged = await attempt('probe-privileged', { privileged: true });
      expect(privileged.status).toBe(403);
      expect(privileged.body.message).toContain('violates PodSecurity "restricted:latest"');
      expect(privileged.body.message).toContain('privileged');
      // Compliant in every way but one that only the restricted level forbids: running as root.
      const root = await attempt(
        'probe-root',
        { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 0 },
        { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      );
      expect(root.status).toBe(403);
      expect(root.body.message).toContain('violates PodSecurity "restricted:latest"');
      expect(root.body.message).toContain('runAsUser=0');
      await expect(kube.exists(`/api/v1/namespaces/${ns()}/pods/probe-root`)).resolves.toBe(false);
    });

    it(`becomes Available with ${minReplicas} pod(s) spread over the nodes, replicas left to the HPA`, async () => {
      // The chart leaves replicas to the HPA: the Deployment starts at 1, the HPA raises it to minReplicas.
      expect(ctx.deployment.spec.replicas).toBeUndefined();
      const { pods } = await eventually(
        'the Deployment to settle at the HPA minimum',
        settled,
        90_000,
      );
      const image = `${ctx.release.helm_values.image.repository}:${ctx.release.helm_values.image.tag}`;
      for (const pod of pods) expect(pod.spec.containers[0].image).toBe(image);
      const nodeNames = (await nodes()).map((n) => n.metadata.name);
      const used = new Set(pods.map((p) => p.spec.nodeName));
      expect(used.size).toBe(Math.min(minReplicas, nodeNames.length));
    }, 120_000);

    it('exposes a NodePort Service with a ready endpoint per pod (EndpointSlices)', async () => {
      const svc = await kube.get(`/api/v1/namespaces/${ns()}/services/${ctx.release.service_name}`);
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toContain(
        ctx.release.node_port,
      );
      await eventually(
        'one ready endpoint per ready pod',
        async () => {
          const pods = await readyPods();
          const endpoints = await readyEndpoints();
          expect(endpoints.map((e) => e.ip).sort()).toEqual(pods.map((p) => p.status.podIP).sort());
          expect(endpoints).toHaveLength(minReplicas);
        },
        30_000,
      );
    });

    it(`has the environment's autoscaling bounds (${minReplicas}-${maxReplicas}, CPU ${targetCpuUtilizationPercent}%)`, async () => {
      const hpa = await kube.get(hpaPath());
      expect(hpa.spec.minReplicas).toBe(minReplicas);
      expect(hpa.spec.maxReplicas).toBe(maxReplicas);
      expect(hpa.spec.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: ctx.deployment.metadata.name,
      });
      expect(hpa.spec.metrics).toEqual([
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: targetCpuUtilizationPercent },
          },
        },
      ]);
      // No metrics-server here: the HPA reads the scale but not CPU (ScalingActive False,
      // FailedGetResourceMetric), so the bounds are asserted, not scaling on load.
      await eventually(
        'the HPA to have synced (every 15 s)',
        async () => {
          const synced = await kube.get(hpaPath());
          expect(condition(synced, 'AbleToScale')?.status).toBe('True');
          // After its first sync: at the minimum already (dev), or asking for it (prod, from the default 1).
          expect([synced.status.currentReplicas, synced.status.desiredReplicas]).toContain(
            minReplicas,
          );
        },
        45_000,
        1_000,
      );
    }, 60_000);

    it(`allows ${allowedDisruptions} disruption(s); a drain evicts that many and the eviction API refuses more (429)`, async () => {
      await eventually('the PDB to count every pod healthy', pdbSettled, 30_000);
      const names = (await nodes()).map((n) => n.metadata.name);
      const pods = await readyPods();
      // Cordon every node, as a drain does: evicted pods get replacements that cannot be scheduled, so no
      // replacement turns Ready and restores the budget between two evictions (kwok readies pods within a second).
      await cordon(names, true);
      try {
        const evict = (pod: KubeObject) =>
          kube.request('POST', `/api/v1/namespaces/${ns()}/pods/${pod.metadata.name}/eviction`, {
            body: {
              apiVersion: 'policy/v1',
              kind: 'Eviction',
              metadata: { name: pod.metadata.name, namespace: ns() },
            },
          });
        for (const pod of pods.slice(0, allowedDisruptions)) {
          expect((await evict(pod)).status).toBe(201);
        }
        if (minReplicas > allowedDisruptions) {
          const refused = await evict(pods[allowedDisruptions]);
          expect(refused.status).toBe(429);
          expect(refused.body.reason).toBe('TooManyRequests');
          expect(refused.body.details.causes[0].reason).toBe('DisruptionBudget');
          expect((await kube.get(pdbPath())).status.disruptionsAllowed).toBe(0);
          await expect(
            kube.exists(
              `/api/v1/namespaces/${ns()}/pods/${pods[allowedDisruptions].metadata.name}`,
            ),
          ).resolves.toBe(true);
        }
        // The evicted pods' replacements wait for a schedulable node.
        await eventually(
          'replacements of evicted pods to be Pending',
          async () => {
            const pending = (await activePods()).filter(
              (p) => p.status?.phase === 'Pending' && !p.spec.nodeName,
            );
            expect(pending).toHaveLength(allowedDisruptions);
          },
          20_000,
        );
      } finally {
        await cordon(names, false);
      }
      await eventually('the Deployment to recover after uncordon', settled, 60_000);
      await eventually('the PDB to allow disruptions again', pdbSettled, 30_000);
    }, 150_000);

    it('keeps the generated secrets in the Secret and nowhere else', async () => {
      await checkSecretsOnlyInSecret(ctx);
    }, 60_000);

    it('rolls the pods onto a new ReplicaSet when a secret value changes (helm upgrade)', async () => {
      const before = await deployment();
      const checksumBefore = before.spec.template.metadata.annotations['checksum/secrets'];
      const podsBefore = await activePods();
      const hashBefore = podsBefore[0].metadata.labels?.['pod-template-hash'];
      const key = ctx.release.secret_keys[0];
      const rotated = generateSecrets([key])[key];
      generated.push({ label: `${env} ${key} (rotated)`, value: rotated });
      ctx.secrets = { ...ctx.secrets, [key]: rotated };
      ctx.helmOutput = await helmInstall(ctx.release, ctx.secrets);

      const after = await deployment();
      expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation ?? 0);
      expect(after.spec.template.metadata.annotations['checksum/secrets']).not.toBe(checksumBefore);
      const { pods } = await eventually('the rollout to finish', settled, 90_000);
      const oldUids = new Set(podsBefore.map((p) => p.metadata.uid));
      for (const pod of pods) {
        expect(oldUids.has(pod.metadata.uid)).toBe(false);
        expect(pod.metadata.labels?.['pod-template-hash']).not.toBe(hashBefore);
      }
      const replicaSets = await kube.get<KubeList>(
        `/apis/apps/v1/namespaces/${ns()}/replicasets?labelSelector=${encodeURIComponent(ctx.selector)}`,
      );
      const old = replicaSets.items.find(
        (rs) => rs.metadata.labels?.['pod-template-hash'] === hashBefore,
      );
      expect(old?.spec.replicas).toBe(0);
      await checkSecretsOnlyInSecret(ctx);
    }, 150_000);

    if (minReplicas >= 2) {
      it('keeps ready endpoints when a node is deleted; its pods move to the other node', async () => {
        const pods = await readyPods();
        const victim = pods[0].spec.nodeName as string;
        const saved = await kube.get(`/api/v1/nodes/${victim}`);
        expect((await kube.request('DELETE', `/api/v1/nodes/${victim}`)).status).toBe(200);
        let fewestReady = Number.POSITIVE_INFINITY;
        // The pod GC deletes pods bound to a missing node after a 40 s quarantine (checked every 20 s);
        // the ReplicaSet then replaces them on the remaining node.
        await eventually(
          `the pods of ${victim} to move`,
          async () => {
            const endpoints = await readyEndpoints();
            fewestReady = Math.min(fewestReady, endpoints.length);
            const { pods: now } = await settled();
            expect(now.filter((p) => p.spec.nodeName === victim)).toEqual([]);
            expect(endpoints).toHaveLength(minReplicas);
            expect(endpoints.filter((e) => e.node === victim)).toEqual([]);
          },
          150_000,
          1_000,
        );
        expect(fewestReady).toBeGreaterThanOrEqual(1);
        // Put the node back as it was, for whatever runs next.
        const created = await kube.request('POST', '/api/v1/nodes', {
          body: {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name: saved.metadata.name,
              labels: saved.metadata.labels,
              annotations: saved.metadata.annotations,
            },
            spec: {
              podCIDR: saved.spec.podCIDR,
              podCIDRs: saved.spec.podCIDRs,
              taints: saved.spec.taints,
            },
          },
        });
        expect(created.status).toBe(201);
        await eventually(
          'the node to be back',
          async () => expect(isReady(await kube.get(`/api/v1/nodes/${victim}`))).toBe(true),
          30_000,
        );
      }, 180_000);
    }

    it('uninstall leaves no object of the release (its namespace terminates and disappears)', async () => {
      await helmUninstall(ctx.release);
      const types = (await kube.resourceTypes()).filter((t) => t.verbs.includes('list'));
      await eventually(
        'every object of the release to be gone',
        async () => {
          await expect(kube.exists(`/api/v1/namespaces/${ns()}`)).resolves.toBe(false);
          for (const obj of ctx.objects)
            await expect(kube.exists(await kube.objectPath(obj))).resolves.toBe(false);
          // Also what the chart's objects created (pods, ReplicaSets, EndpointSlices...), anywhere.
          const left: string[] = [];
          for (const type of types) {
            const res = await kube.request(
              'GET',
              `${Kube.collectionPath(type)}?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${ctx.release.release_name}`)}`,
            );
            if (res.status !== 200) continue;
            for (const item of (res.body as KubeList).items)
              left.push(`${type.kind} ${item.metadata.namespace ?? ''}/${item.metadata.name}`);
          }
          expect(left).toEqual([]);
          expect(await helmReleases(ctx.release.release_namespace)).not.toContain(
            ctx.release.release_name,
          );
          // Helm's own release records (Secrets in the release namespace) are gone too.
          const records = await kube.get<KubeList>(
            `/api/v1/namespaces/${ctx.release.release_namespace}/secrets?labelSelector=${encodeURIComponent(
              `owner=helm,name=${ctx.release.release_name}`,
            )}`,
            { sensitive: true },
          );
          expect(records.items).toEqual([]);
        },
        120_000,
        2_000,
      );
    }, 180_000);
  });
}

/**
 * The Secret holds exactly the generated values; no other object in the cluster, no non-Secret object of
 * Helm's rendered manifest, nothing the test captured and no component log contains them (plain or base64).
 */
async function checkSecretsOnlyInSecret(ctx: Installed): Promise<void> {
  const secretObj = ctx.objects.find((o) => o.kind === 'Secret');
  if (!secretObj) throw new Error('the chart has no Secret');
  const secret = await kube.get(await kube.objectPath(secretObj), { sensitive: true });
  expect(Object.keys(secret.data ?? {}).sort()).toEqual([...ctx.release.secret_keys].sort());
  for (const key of ctx.release.secret_keys) {
    expectSameSecret(
      Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8'),
      ctx.secrets[key],
      `Secret key ${key}`,
    );
  }
  const current = Object.entries(ctx.secrets).map(([key, value]) => ({ label: key, value }));

  // Every object of every listable type in the whole cluster, except Secrets (ours and Helm's release records).
  const found: string[] = [];
  for (const type of (await kube.resourceTypes()).filter((t) => t.verbs.includes('list'))) {
    if (type.group === '' && type.name === 'secrets') continue;
    const res = await kube.request('GET', Kube.collectionPath(type));
    if (res.status !== 200) continue;
    for (const hit of leaks(res.text, current))
      found.push(`${hit} in ${type.group || 'core'}/${type.name}`);
  }
  for (const obj of (await helmManifest(ctx.release)).filter((o) => o.kind !== 'Secret')) {
    for (const hit of leaks(JSON.stringify(obj), current))
      found.push(`${hit} in the rendered ${obj.kind}`);
  }
  for (const hit of leaks(transcript(), generated))
    found.push(`${hit} in the test's captured output`);
  for (const hit of componentLogLeaks()) found.push(hit);
  expect(found).toEqual([]);
}

function componentLogLeaks(): string[] {
  if (!clusterLogs || !existsSync(clusterLogs))
    throw new Error(`component logs not found at "${clusterLogs}"`);
  const found: string[] = [];
  for (const file of readdirSync(clusterLogs)) {
    const text = readFileSync(join(clusterLogs, file), 'utf8');
    for (const hit of leaks(text, generated)) found.push(`${hit} in ${file}`);
  }
  return found;
}

describeEnvironment('dev');
describeEnvironment('prod');

describe('after both environments', () => {
  it('no generated secret appears in anything the test captured or in any component log', () => {
    expect(generated.length).toBeGreaterThanOrEqual(4);
    expect(leaks(transcript(), generated)).toEqual([]);
    expect(componentLogLeaks()).toEqual([]);
  });
});
