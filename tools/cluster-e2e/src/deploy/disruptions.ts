import { eventually } from '@shipyard/testing';
import type { Kube, KubeList, KubeObject } from '../kube';
import { type Installed, isReady } from './installed';

async function nodeNames(kube: Kube): Promise<string[]> {
  return (await kube.get<KubeList>('/api/v1/nodes')).items.map((n) => n.metadata.name);
}

async function cordon(kube: Kube, names: string[], unschedulable: boolean): Promise<void> {
  for (const name of names)
    await kube.mergePatch(`/api/v1/nodes/${name}`, { spec: { unschedulable } });
}

/** A drain evicts as many pods as the PDB allows; the eviction API refuses the next one (429). */
export async function checkDrainHonoursBudget(app: Installed): Promise<void> {
  const { kube, ns, allowedDisruptions, minReplicas } = app;
  await eventually('the PDB to count every pod healthy', () => app.pdbSettled(), 30_000);
  const names = await nodeNames(kube);
  const pods = await app.readyPods();
  // Cordon every node, as a drain does: evicted pods get replacements that cannot be scheduled, so no
  // replacement turns Ready and restores the budget between two evictions (kwok readies pods within a second).
  await cordon(kube, names, true);
  try {
    const evict = (pod: KubeObject) =>
      kube.request('POST', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/eviction`, {
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.metadata.name, namespace: ns },
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
      expect((await kube.get(app.pdbPath)).status.disruptionsAllowed).toBe(0);
      await expect(
        kube.exists(`/api/v1/namespaces/${ns}/pods/${pods[allowedDisruptions].metadata.name}`),
      ).resolves.toBe(true);
    }
    // The evicted pods' replacements wait for a schedulable node.
    await eventually(
      'replacements of evicted pods to be Pending',
      async () => {
        const pending = (await app.activePods()).filter(
          (p) => p.status?.phase === 'Pending' && !p.spec.nodeName,
        );
        expect(pending).toHaveLength(allowedDisruptions);
      },
      20_000,
    );
  } finally {
    await cordon(kube, names, false);
  }
  await eventually('the Deployment to recover after uncordon', () => app.settled(), 60_000);
  await eventually('the PDB to allow disruptions again', () => app.pdbSettled(), 30_000);
}

/** Deleting a node keeps ready endpoints while its pods move to the other node; the node is put back. */
export async function checkNodeLoss(app: Installed): Promise<void> {
  const { kube, minReplicas } = app;
  const pods = await app.readyPods();
  const victim = pods[0].spec.nodeName as string;
  const saved = await kube.get(`/api/v1/nodes/${victim}`);
  expect((await kube.request('DELETE', `/api/v1/nodes/${victim}`)).status).toBe(200);
  let fewestReady = Number.POSITIVE_INFINITY;
  // The pod GC deletes pods bound to a missing node after a 40 s quarantine (checked every 20 s);
  // the ReplicaSet then replaces them on the remaining node.
  await eventually(
    `the pods of ${victim} to move`,
    async () => {
      const endpoints = await app.readyEndpoints();
      fewestReady = Math.min(fewestReady, endpoints.length);
      const { pods: now } = await app.settled();
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
}

/** Pods are spread over the nodes: as many nodes used as pods (up to the node count). */
export async function nodesUsedBy(app: Installed, pods: KubeObject[]): Promise<number> {
  const used = new Set(pods.map((p) => p.spec.nodeName));
  expect(used.size).toBe(Math.min(app.minReplicas, (await nodeNames(app.kube)).length));
  return used.size;
}
