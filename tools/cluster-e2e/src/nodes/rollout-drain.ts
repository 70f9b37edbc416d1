import { eventually, sleep } from '@shipyard/testing';
import type { Kube, KubeList, KubeObject } from '../kube';
import { generateSecrets, helmInstall } from '../release';
import type { AppOnNodes } from './app';
import type { RealCluster } from './cluster';
import { describeLoad, Load, type LoadStats } from './load';

/**
 * Disruptions a production service goes through every day, under continuous load through the NodePort: a rolling
 * update and a node drain. Not one request may fail: the chart's preStop pause, the readiness flip, the app's
 * drain and the rolling-update strategy are there for that.
 */

export interface DisruptionResult {
  stats: LoadStats;
  seconds: number;
  line: string;
}

/** Light, steady load from keep-alive clients, alternating over both node addresses. */
export function startLoad(app: AppOnNodes, cluster: RealCluster): Load {
  return Load.start({
    targets: cluster.nodes.map((n) => ({ host: n.ip, port: app.release.node_port })),
    clients: 2 * cluster.nodes.length,
    pauseMs: 20,
    timeoutMs: 5_000,
  });
}

const podNames = (pods: KubeObject[]) => pods.map((p) => p.metadata.name).sort();

/**
 * Load runs a few seconds before and after the disruption too: a failure the moment the last old pod exits, or
 * from a stale endpoint just after, is counted.
 */
async function underLoad(
  app: AppOnNodes,
  cluster: RealCluster,
  what: string,
  disrupt: () => Promise<void>,
): Promise<DisruptionResult> {
  const load = startLoad(app, cluster);
  let seconds = 0;
  try {
    await sleep(3_000);
    if (load.snapshot().ok === 0) {
      throw new Error(
        `${what}: no request succeeded before the disruption: ${describeLoad(what, load.snapshot())}`,
      );
    }
    const started = Date.now();
    await disrupt();
    seconds = (Date.now() - started) / 1000;
    await sleep(3_000);
  } finally {
    await load.stop();
  }
  const stats = load.snapshot();
  return { stats, seconds, line: describeLoad(what, stats, `, ${what} ${seconds.toFixed(1)} s`) };
}

/**
 * A config change (a new secret value through `helm upgrade`, as Terraform's helm_release applies it): a new
 * ReplicaSet replaces every pod. Done when the new pods are Ready and the old ones are gone.
 */
export async function rolloutUnderLoad(
  app: AppOnNodes,
  cluster: RealCluster,
): Promise<DisruptionResult> {
  const before = podNames(await app.settled());
  return underLoad(app, cluster, 'rollout', async () => {
    const secrets = generateSecrets(app.release.secret_keys);
    await helmInstall(app.release, secrets);
    app.secrets = secrets;
    await eventually(
      'the new ReplicaSet to have replaced every pod (old pods gone)',
      async () => {
        // Terminating pods are listed until their container has exited.
        const pods = await app.pods();
        const left = pods
          .filter((p) => before.includes(p.metadata.name))
          .map((p) => p.metadata.name);
        expect(left).toEqual([]);
        await app.settled();
      },
      180_000,
      500,
    );
  });
}

/** Pods a drain evicts: every pod bound to the node, but mirror pods and DaemonSet pods (as `kubectl drain`). */
async function podsOn(kube: Kube, node: string): Promise<KubeObject[]> {
  const list = await kube.get<KubeList>(
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
  );
  return list.items.filter(
    (p) =>
      !p.metadata.annotations?.['kubernetes.io/config.mirror'] &&
      !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') &&
      !['Succeeded', 'Failed'].includes(p.status?.phase),
  );
}

/**
 * `kubectl drain` of the node of one app pod: cordon, then evict every pod through the Eviction API, retrying
 * every 5 s while the PodDisruptionBudget refuses (429), until none is left on the node. Uncordoned afterwards.
 */
export async function drainUnderLoad(
  app: AppOnNodes,
  cluster: RealCluster,
): Promise<DisruptionResult & { node: string; refused: number }> {
  const { kube } = app;
  const pods = await app.settled();
  const node = pods[0].spec.nodeName as string;
  let refused = 0;
  const cordon = (unschedulable: boolean) =>
    kube.mergePatch(`/api/v1/nodes/${node}`, { spec: { unschedulable } });
  try {
    const result = await underLoad(app, cluster, `drain of ${node}`, async () => {
      await cordon(true);
      await eventually(
        `every pod to leave ${node}`,
        async () => {
          const left = await podsOn(kube, node);
          for (const pod of left.filter((p) => !p.metadata.deletionTimestamp)) {
            const { namespace, name } = pod.metadata;
            const res = await kube.request(
              'POST',
              `/api/v1/namespaces/${namespace}/pods/${name}/eviction`,
              {
                body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
              },
            );
            if (res.status === 429) refused++;
            else if (![201, 404].includes(res.status)) {
              throw new Error(
                `evicting ${namespace}/${name}: ${res.status} ${res.body?.message ?? ''}`,
              );
            }
          }
          expect(
            (await podsOn(kube, node)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
          ).toEqual([]);
        },
        180_000,
        5_000,
      );
      await app.settled();
    });
    return { ...result, node, refused };
  } finally {
    await cordon(false);
  }
}
