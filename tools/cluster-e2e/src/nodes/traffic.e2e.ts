/**
 * Real traffic on the real nodes (issue 20, item 3): prod's chart under continuous load through the NodePort
 * through a rolling update and a node drain (not one request may fail), its NetworkPolicy enforced by a real
 * policy agent, and its HPA scaling on CPU through metrics-server. Every test prints its figures.
 * Run with `npx nx run cluster-e2e:e2e-nodes` (tools/cluster-e2e/run.sh --real-nodes).
 */
import { Kube } from '../kube';
import { cleanup } from '../release';
import { AppOnNodes } from './app';
import { scaleUpAndDown, MetricsServer } from './autoscaling';
import { realCluster } from './cluster';
import { blocked, nodePortStatuses, PolicyCheck } from './network-policy';
import { drainUnderLoad, rolloutUnderLoad } from './rollout-drain';

const cluster = realCluster();
const kube = Kube.fromKubeconfig(cluster.kubeconfig);
const env = 'prod';

/** Figures go to the test output as they are measured (Jest prints console.log with its origin). */
const print = (text: string) => process.stdout.write(`\n${text}\n`);

describe(`${env} on real nodes, with real traffic`, () => {
  let app: AppOnNodes;

  beforeAll(async () => {
    app = await AppOnNodes.install(kube, cluster, env);
    await app.waitSettled('installed', 120_000);
  }, 300_000);

  afterAll(async () => {
    await app?.uninstall().catch((e: Error) => print(`uninstall failed: ${e.message}`));
    kube.close();
    cleanup();
  }, 180_000);

  it('rolls out a config change under load through the NodePort without a failed request', async () => {
    const { stats, line } = await rolloutUnderLoad(app, cluster);
    print(line);
    expect(stats.sent).toBeGreaterThan(100);
    if (stats.failed > 0) throw new Error(`requests failed during the rolling update:\n${line}`);
  }, 300_000);

  it('drains a node (cordon, evictions honouring the PDB) under load without a failed request', async () => {
    const { stats, line, refused } = await drainUnderLoad(app, cluster);
    print(`${line} (${refused} eviction(s) refused by the PDB and retried)`);
    expect(stats.sent).toBeGreaterThan(100);
    if (stats.failed > 0) throw new Error(`requests failed during the node drain:\n${line}`);
    // Uncordoned: the other node takes pods again, and the app spreads back on a rollout.
    const nodes = await Promise.all(cluster.nodes.map((n) => kube.get(`/api/v1/nodes/${n.name}`)));
    expect(nodes.map((n) => n.spec.unschedulable ?? false)).toEqual(cluster.nodes.map(() => false));
  }, 300_000);

  describe('NetworkPolicy, enforced by kube-router on the first node', () => {
    let policy: PolicyCheck;
    let appUrl: string;
    let managementUrl: string;
    const sources = () => [
      { namespace: policy.otherNamespace, node: policy.otherNode, management: false },
      { namespace: policy.otherNamespace, node: policy.guardedNode, management: false },
      {
        namespace: policy.monitoringNamespace,
        node: policy.otherNode,
        management: app.settings.monitoring,
      },
    ];

    beforeAll(async () => {
      await app.waitSettled('before the policy checks', 60_000);
      policy = await PolicyCheck.create(app, kube, cluster);
      const pod = await policy.guardedPod();
      appUrl = `http://${pod.status.podIP}:${app.port('http')}/`;
      managementUrl = `http://${pod.status.podIP}:${app.port('management')}/healthz`;
      await policy.ensureNamespace(policy.otherNamespace);
      await policy.ensureNamespace(policy.monitoringNamespace);
      await policy.startClients(sources());
    }, 180_000);

    afterAll(async () => {
      await policy?.cleanup();
    }, 120_000);

    it('without an agent, every port of the pod is reachable from another namespace (the probes work)', async () => {
      const seen = await policy.probe(
        { namespace: policy.otherNamespace, node: policy.otherNode },
        [appUrl, managementUrl],
      );
      print(`no policy agent, from ${policy.otherNamespace}: ${JSON.stringify(seen)}`);
      expect(seen).toEqual({ [appUrl]: 200, [managementUrl]: 200 });
    }, 120_000);

    it('with the agent: the app port admits every namespace and the NodePort, the management port only the monitoring namespace', async () => {
      const start = Date.now();
      await policy.startAgent();
      print(
        `kube-router programmed ${policy.guardedNode.name} in ${((Date.now() - start) / 1000).toFixed(1)} s`,
      );
      const pod = await policy.guardedPod();
      const results: string[] = [];
      const problems: string[] = [];
      // From a pod of each source, both ports: the app port admits everyone, the management port the monitoring
      // namespace only (when the environment ships monitoring).
      const sources = [
        { namespace: policy.otherNamespace, node: policy.otherNode, management: false },
        { namespace: policy.otherNamespace, node: policy.guardedNode, management: false },
        {
          namespace: policy.monitoringNamespace,
          node: policy.otherNode,
          management: app.settings.monitoring,
        },
      ];
      for (const { namespace, node, management } of sources) {
        const seen = await policy.probe({ namespace, node }, [appUrl, managementUrl]);
        for (const [url, admitted] of [
          [appUrl, true],
          [managementUrl, management],
        ] as const) {
          results.push(`${namespace} on ${node.name} -> ${url}: ${seen[url]}`);
          if (blocked(seen[url]) === admitted) {
            problems.push(
              `${url} (pod ${pod.metadata.name} on ${pod.spec.nodeName}) from namespace ${namespace} on ${node.name}: ` +
                (admitted
                  ? `expected an answer, the connection failed (${seen[url]})`
                  : `expected to be dropped, it answered ${seen[url]}`),
            );
          }
        }
      }
      const nodePort = await nodePortStatuses(app, cluster);
      results.push(
        `NodePort via ${cluster.nodes.map((n) => n.ip).join(', ')}: ${nodePort.join(', ')}`,
      );
      if (nodePort.some((s) => s !== 200))
        problems.push(`the NodePort answered ${nodePort.join(', ')}, expected 200`);
      print(`policy agent running:\n  ${results.join('\n  ')}`);
      if (problems.length > 0) {
        throw new Error(
          `the NetworkPolicy is not what the chart promises:\n  ${problems.join('\n  ')}\n` +
            `NetworkPolicies selecting the pod:\n  ${(await policy.policiesSelecting(pod)).join('\n  ')}\n` +
            `kube-router log:\n${policy.agentLog()}`,
        );
      }
    }, 300_000);
  });

  describe('HorizontalPodAutoscaler, with metrics-server', () => {
    const metrics = new MetricsServer(kube, cluster);

    beforeAll(async () => {
      const start = Date.now();
      await metrics.start();
      print(
        `metrics-server serving v1beta1.metrics.k8s.io after ${((Date.now() - start) / 1000).toFixed(1)} s`,
      );
    }, 180_000);

    afterAll(() => metrics.stop(), 60_000);

    it('scales prod up under CPU load through the NodePort, and back down once the load is light', async () => {
      const { lines } = await scaleUpAndDown(app, cluster);
      print(lines.join('\n'));
    }, 900_000);
  });
});
