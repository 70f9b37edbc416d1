/**
 * Installs each environment's synthesized chart, with the release the Terraform module computes, into a real
 * kube-apiserver with two kwok nodes, and checks what the cluster did. Run through `npx nx run cluster-e2e:e2e`
 * (tools/cluster-e2e/run.sh), which starts the cluster around this suite and always stops it.
 *
 * The steps of one environment depend on each other and run in order (Jest runs a file's tests sequentially).
 */
import { type AppEnv, environments } from '@shipyard/config';
import { checkRestrictedPodSecurity } from './deploy/admission';
import { checkDrainHonoursBudget, checkNodeLoss, nodesUsedBy } from './deploy/disruptions';
import { condition, Installed } from './deploy/installed';
import { checkSecretChangeRolls, checkUninstallLeavesNothing } from './deploy/lifecycle';
import { capturedLeaks, checkSecretsOnlyInSecret, generatedCount } from './deploy/secret-leaks';
import { eventually } from '@shipyard/testing';
import { Kube } from './kube';
import { cleanup } from './release';

const kubeconfig = process.env['KUBECONFIG'];
if (!kubeconfig || !process.env['SHIPYARD_CLUSTER_NAME']) {
  throw new Error(
    'no test cluster: run this suite with `npx nx run cluster-e2e:e2e` (tools/cluster-e2e/run.sh)',
  );
}
const kube = Kube.fromKubeconfig(kubeconfig);
const clusterLogs = process.env['SHIPYARD_CLUSTER_LOGS'] ?? '';

afterAll(() => {
  kube.close();
  cleanup();
});

function describeEnvironment(env: AppEnv): void {
  const { autoscaling, disruptionBudget } = environments[env];
  const { minReplicas, maxReplicas, targetCpuUtilizationPercent } = autoscaling;
  const allowedDisruptions = Math.min(disruptionBudget.maxUnavailable, minReplicas);

  describe(`${env}: the chart installed with the release terraform/modules/release computes`, () => {
    let app: Installed;

    beforeAll(async () => {
      app = await Installed.install(kube, env);
    }, 300_000);

    it('installs every object of the chart', async () => {
      const kinds = new Set(app.objects.map((o) => o.kind));
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
      if (app.release.enable_monitoring) expect(kinds).toContain('ServiceMonitor');
      const missing: string[] = [];
      for (const obj of app.objects) {
        if (!(await kube.exists(await kube.objectPath(obj)))) {
          missing.push(`${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        }
      }
      expect(missing).toEqual([]);
      expect(app.one('Namespace').metadata.name).toBe(app.ns);
    });

    it('enforces restricted Pod Security: our pods are admitted, a non-compliant pod is refused', () =>
      checkRestrictedPodSecurity(app));

    it(`becomes Available with ${minReplicas} pod(s) spread over the nodes, replicas left to the HPA`, async () => {
      // The chart leaves replicas to the HPA: the Deployment starts at 1, the HPA raises it to minReplicas.
      expect(app.one('Deployment').spec.replicas).toBeUndefined();
      const { pods } = await eventually(
        'the Deployment to settle at the HPA minimum',
        () => app.settled(),
        90_000,
      );
      const { repository, tag } = app.release.helm_values.image;
      for (const pod of pods) expect(pod.spec.containers[0].image).toBe(`${repository}:${tag}`);
      await nodesUsedBy(app, pods);
    }, 120_000);

    it('exposes a NodePort Service with a ready endpoint per pod (EndpointSlices)', async () => {
      const svc = await kube.get(
        `/api/v1/namespaces/${app.ns}/services/${app.release.service_name}`,
      );
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toContain(
        app.release.node_port,
      );
      await eventually(
        'one ready endpoint per ready pod',
        async () => {
          const pods = await app.readyPods();
          const endpoints = await app.readyEndpoints();
          expect(endpoints.map((e) => e.ip).sort()).toEqual(pods.map((p) => p.status.podIP).sort());
          expect(endpoints).toHaveLength(minReplicas);
        },
        30_000,
      );
    });

    it(`has the environment's autoscaling bounds (${minReplicas}-${maxReplicas}, CPU ${targetCpuUtilizationPercent}%)`, async () => {
      const hpa = await kube.get(app.hpaPath);
      expect(hpa.spec.minReplicas).toBe(minReplicas);
      expect(hpa.spec.maxReplicas).toBe(maxReplicas);
      expect(hpa.spec.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: app.one('Deployment').metadata.name,
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
          const synced = await kube.get(app.hpaPath);
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

    it(
      `allows ${allowedDisruptions} disruption(s); a drain evicts that many and the eviction API refuses more (429)`,
      () => checkDrainHonoursBudget(app),
      150_000,
    );

    it(
      'keeps the generated secrets in the Secret and nowhere else',
      () => checkSecretsOnlyInSecret(app, clusterLogs),
      60_000,
    );

    it('rolls the pods onto a new ReplicaSet when a secret value changes (helm upgrade)', async () => {
      await checkSecretChangeRolls(app);
      await checkSecretsOnlyInSecret(app, clusterLogs);
    }, 150_000);

    if (minReplicas >= 2) {
      it(
        'keeps ready endpoints when a node is deleted; its pods move to the other node',
        () => checkNodeLoss(app),
        180_000,
      );
    }

    it(
      'uninstall leaves no object of the release (its namespace terminates and disappears)',
      () => checkUninstallLeavesNothing(app),
      180_000,
    );
  });
}

describeEnvironment('dev');
describeEnvironment('prod');

describe('after both environments', () => {
  it('no generated secret appears in anything the test captured or in any component log', () => {
    expect(generatedCount()).toBeGreaterThanOrEqual(4);
    expect(capturedLeaks(clusterLogs)).toEqual([]);
  });
});
