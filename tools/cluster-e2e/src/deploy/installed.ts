import { type AppEnv, environments } from '@shipyard/config';
import { type Kube, type KubeList, type KubeObject } from '../kube';
import {
  computeRelease,
  generateSecrets,
  helmInstall,
  helmManifest,
  type Release,
} from '../release';
import { remember } from './secret-leaks';

const selectorOf = (matchLabels: Record<string, string>) =>
  Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export const isReady = (obj: KubeObject) =>
  obj.status?.conditions?.some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );

export const condition = (obj: KubeObject, type: string) =>
  obj.status?.conditions?.find((c: { type: string }) => c.type === type);

export interface ReadyEndpoint {
  ip: string;
  node?: string;
}

/** One environment's chart as installed by the suite, and the questions the suite asks the cluster about it. */
export class Installed {
  readonly settings;
  /** A PDB with maxUnavailable over `minReplicas` healthy pods allows this many disruptions. */
  readonly allowedDisruptions: number;
  secrets: Record<string, string> = {};
  helmOutput = '';
  objects: KubeObject[] = [];

  private constructor(
    readonly kube: Kube,
    readonly env: AppEnv,
    readonly release: Release,
  ) {
    this.settings = environments[env];
    const { maxUnavailable } = this.settings.disruptionBudget;
    this.allowedDisruptions = Math.min(maxUnavailable, this.minReplicas);
  }

  /** Installs the chart with the release terraform/modules/release computes and freshly generated secrets. */
  static async install(kube: Kube, env: AppEnv): Promise<Installed> {
    const installed = new Installed(kube, env, await computeRelease(env));
    const secrets = generateSecrets(installed.release.secret_keys);
    for (const [key, value] of Object.entries(secrets)) remember(`${env} ${key}`, value);
    await installed.upgrade(secrets);
    installed.objects = await helmManifest(installed.release);
    return installed;
  }

  /** `helm upgrade --install` with these secret values. */
  async upgrade(secrets: Record<string, string>): Promise<void> {
    this.secrets = secrets;
    this.helmOutput = await helmInstall(this.release, secrets);
  }

  get minReplicas(): number {
    return this.settings.autoscaling.minReplicas;
  }
  get ns(): string {
    return this.release.namespace;
  }
  get selector(): string {
    return selectorOf(this.one('Deployment').spec.selector.matchLabels);
  }

  /** The chart's only object of this kind. */
  one(kind: string): KubeObject {
    const found = this.objects.filter((o) => o.kind === kind);
    if (found.length !== 1)
      throw new Error(`expected one ${kind} in the chart, found ${found.length}`);
    return found[0];
  }

  async activePods(): Promise<KubeObject[]> {
    const pods = await this.kube.get<KubeList>(
      `/api/v1/namespaces/${this.ns}/pods?labelSelector=${encodeURIComponent(this.selector)}`,
    );
    return pods.items.filter(
      (p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase),
    );
  }

  async readyPods(): Promise<KubeObject[]> {
    return (await this.activePods()).filter((p) => p.status?.phase === 'Running' && isReady(p));
  }

  async readyEndpoints(): Promise<ReadyEndpoint[]> {
    const slices = await this.kube.get<KubeList<KubeObject & { endpoints?: unknown[] }>>(
      `/apis/discovery.k8s.io/v1/namespaces/${this.ns}/endpointslices?labelSelector=${encodeURIComponent(
        `kubernetes.io/service-name=${this.release.service_name}`,
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
  }

  deployment(): Promise<KubeObject> {
    return this.kube.get(
      `/apis/apps/v1/namespaces/${this.ns}/deployments/${this.one('Deployment').metadata.name}`,
    );
  }

  /** Rolled out, Available, with the HPA's minimum of Running+Ready pods; throws (for `eventually`) until then. */
  async settled(): Promise<{ dep: KubeObject; pods: KubeObject[] }> {
    const dep = await this.deployment();
    const wanted = this.minReplicas;
    expect(dep.status?.observedGeneration).toBe(dep.metadata.generation);
    expect(condition(dep, 'Available')?.status).toBe('True');
    expect(dep.spec.replicas).toBe(wanted);
    expect(dep.status?.updatedReplicas).toBe(wanted);
    expect(dep.status?.availableReplicas).toBe(wanted);
    expect(dep.status?.replicas).toBe(wanted);
    const pods = await this.readyPods();
    expect(pods).toHaveLength(wanted);
    expect(await this.activePods()).toHaveLength(wanted);
    return { dep, pods };
  }

  get hpaPath(): string {
    return `/apis/autoscaling/v2/namespaces/${this.ns}/horizontalpodautoscalers/${this.one('HorizontalPodAutoscaler').metadata.name}`;
  }
  get pdbPath(): string {
    return `/apis/policy/v1/namespaces/${this.ns}/poddisruptionbudgets/${this.one('PodDisruptionBudget').metadata.name}`;
  }

  /** The PDB counts every pod healthy and allows its disruptions; throws until then. */
  async pdbSettled(): Promise<KubeObject> {
    const pdb = await this.kube.get(this.pdbPath);
    expect(pdb.status?.observedGeneration).toBe(pdb.metadata.generation);
    expect(pdb.status?.expectedPods).toBe(this.minReplicas);
    expect(pdb.status?.currentHealthy).toBe(this.minReplicas);
    expect(pdb.status?.disruptionsAllowed).toBe(this.allowedDisruptions);
    return pdb;
  }
}
