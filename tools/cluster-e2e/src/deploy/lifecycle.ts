import { eventually } from '@shipyard/testing';
import { Kube, type KubeList } from '../kube';
import { generateSecrets, helmReleases, helmUninstall } from '../release';
import type { Installed } from './installed';
import { remember } from './secret-leaks';

/** A new secret value (helm upgrade) rolls every pod onto a new ReplicaSet; the old one scales to 0. */
export async function checkSecretChangeRolls(app: Installed): Promise<void> {
  const before = await app.deployment();
  const checksumBefore = before.spec.template.metadata.annotations['checksum/secrets'];
  const podsBefore = await app.activePods();
  const hashBefore = podsBefore[0].metadata.labels?.['pod-template-hash'];
  const key = app.release.secret_keys[0];
  const rotated = generateSecrets([key])[key];
  remember(`${app.env} ${key} (rotated)`, rotated);
  await app.upgrade({ ...app.secrets, [key]: rotated });

  const after = await app.deployment();
  expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation ?? 0);
  expect(after.spec.template.metadata.annotations['checksum/secrets']).not.toBe(checksumBefore);
  const { pods } = await eventually('the rollout to finish', () => app.settled(), 90_000);
  const oldUids = new Set(podsBefore.map((p) => p.metadata.uid));
  for (const pod of pods) {
    expect(oldUids.has(pod.metadata.uid)).toBe(false);
    expect(pod.metadata.labels?.['pod-template-hash']).not.toBe(hashBefore);
  }
  const replicaSets = await app.kube.get<KubeList>(
    `/apis/apps/v1/namespaces/${app.ns}/replicasets?labelSelector=${encodeURIComponent(app.selector)}`,
  );
  const old = replicaSets.items.find(
    (rs) => rs.metadata.labels?.['pod-template-hash'] === hashBefore,
  );
  expect(old?.spec.replicas).toBe(0);
}

/** `helm uninstall` leaves no object of the release anywhere, and no release record. */
export async function checkUninstallLeavesNothing(app: Installed): Promise<void> {
  const { kube, release, ns } = app;
  await helmUninstall(release);
  await eventually(
    'every object of the release to be gone',
    async () => {
      await expect(kube.exists(`/api/v1/namespaces/${ns}`)).resolves.toBe(false);
      for (const obj of app.objects)
        await expect(kube.exists(await kube.objectPath(obj))).resolves.toBe(false);
      // Also what the chart's objects created (pods, ReplicaSets, EndpointSlices...), anywhere.
      const left = await releaseLeftovers(kube, release.release_name);
      expect(left).toEqual([]);
      expect(await helmReleases(release.release_namespace)).not.toContain(release.release_name);
      // Helm's own release records (Secrets in the release namespace) are gone too.
      const records = await kube.get<KubeList>(
        `/api/v1/namespaces/${release.release_namespace}/secrets?labelSelector=${encodeURIComponent(
          `owner=helm,name=${release.release_name}`,
        )}`,
        { sensitive: true },
      );
      expect(records.items).toEqual([]);
    },
    120_000,
    2_000,
  );
}

/** Objects of the release anywhere, of every listable type; a type that cannot be listed fails the check. */
export async function releaseLeftovers(kube: Kube, release: string): Promise<string[]> {
  const left: string[] = [];
  const selector = encodeURIComponent(`app.kubernetes.io/instance=${release}`);
  for (const type of (await kube.resourceTypes()).filter((t) => t.verbs.includes('list'))) {
    const path = `${Kube.collectionPath(type)}?labelSelector=${selector}`;
    const res = await kube.request('GET', path, { sensitive: type.name === 'secrets' });
    if (res.status !== 200)
      throw new Error(`GET ${path}: ${res.status}; cannot prove nothing is left`);
    for (const item of (res.body as KubeList).items)
      left.push(`${type.kind} ${item.metadata.namespace ?? ''}/${item.metadata.name}`);
  }
  return left;
}
