import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppEnv, environments } from '@shipyard/config';
import { eventually, sleep } from '@shipyard/testing';
import { run } from '../exec';
import { Kube, type KubeList, type KubeObject } from '../kube';
import {
  computeRelease,
  generateSecrets,
  helmInstall,
  helmManifest,
  helmUninstall,
  type Release,
  workspaceRoot,
} from '../release';
import { type RealCluster, type RealNode } from './cluster';
import { httpGet } from './http';

/** The image's node binary: its Dockerfile's exec-form ENTRYPOINT (node is on no PATH in the image). */
export const imageNode = (() => {
  const dockerfile = join(workspaceRoot, 'apps/api/Dockerfile');
  const match = /^ENTRYPOINT\s+\["(\/[^"]+)"\]\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  if (!match) throw new Error(`${dockerfile} has no exec-form ENTRYPOINT ["/path/to/node"]`);
  return match[1];
})();

export const isReady = (obj: KubeObject) =>
  obj.status?.conditions?.some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  ) ?? false;

export interface KubeEvent extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  lastTimestamp?: string;
  eventTime?: string;
}

/** Warning events, one line each, for failure messages. */
export const describeEvents = (events: KubeEvent[]) =>
  events
    .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`)
    .join('\n');

/**
 * One environment's chart installed on the real nodes with the locally built image, as terraform/modules/release
 * computes the release (image_repository and image_tag given to it, as the root module's variables would be).
 */
export class AppOnNodes {
  readonly settings;
  objects: KubeObject[] = [];
  secrets: Record<string, string> = {};

  private constructor(
    readonly kube: Kube,
    readonly cluster: RealCluster,
    readonly env: AppEnv,
    readonly release: Release,
  ) {
    this.settings = environments[env];
  }

  static async install(kube: Kube, cluster: RealCluster, env: AppEnv): Promise<AppOnNodes> {
    const release = await computeRelease(env, {
      image_repository: cluster.image.repository,
      image_tag: cluster.image.tag,
    });
    const app = new AppOnNodes(kube, cluster, env, release);
    app.secrets = generateSecrets(release.secret_keys);
    await app.helmInstall();
    app.objects = await helmManifest(release);
    return app;
  }

  /**
   * `helm upgrade --install --atomic --wait` as terraform's helm_release runs it. If it fails (say the pods never
   * become Ready), the warning events it rolled back with are in the error: they name the cause.
   */
  private async helmInstall(): Promise<void> {
    const seen = new Map<string, KubeEvent>();
    let installing = true;
    const watch = (async () => {
      while (installing) {
        for (const e of await this.warnings().catch(() => [])) seen.set(e.metadata.name, e);
        await sleep(1_000);
      }
    })();
    try {
      await helmInstall(this.release, this.secrets);
    } catch (error) {
      const events = describeEvents([...seen.values()]);
      throw new Error(
        `${(error as Error).message}\nwarning events in ${this.ns} while it waited:\n${events || '(none)'}`,
      );
    } finally {
      installing = false;
      await watch;
    }
  }

  uninstall(): Promise<void> {
    return helmUninstall(this.release);
  }

  get ns(): string {
    return this.release.namespace;
  }
  get minReplicas(): number {
    return this.settings.autoscaling.minReplicas;
  }
  get deploymentName(): string {
    return this.one('Deployment').metadata.name;
  }
  /** The chart's only object of this kind. */
  one(kind: string): KubeObject {
    const found = this.objects.filter((o) => o.kind === kind);
    if (found.length !== 1)
      throw new Error(`expected one ${kind} in the chart, found ${found.length}`);
    return found[0];
  }
  get selector(): string {
    return Object.entries(
      this.one('Deployment').spec.selector.matchLabels as Record<string, string>,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  get container(): string {
    return this.one('Deployment').spec.template.spec.containers[0].name;
  }
  /** Port numbers of the container, by name (http, management). */
  port(name: string): number {
    const ports = this.one('Deployment').spec.template.spec.containers[0].ports as {
      name: string;
      containerPort: number;
    }[];
    const port = ports.find((p) => p.name === name);
    if (!port) throw new Error(`the container has no port named ${name}`);
    return port.containerPort;
  }

  async pods(): Promise<KubeObject[]> {
    const list = await this.kube.get<KubeList>(
      `/api/v1/namespaces/${this.ns}/pods?labelSelector=${encodeURIComponent(this.selector)}`,
    );
    return list.items;
  }
  pod(name: string): Promise<KubeObject> {
    return this.kube.get(`/api/v1/namespaces/${this.ns}/pods/${name}`);
  }
  async readyPods(): Promise<KubeObject[]> {
    return (await this.pods()).filter(
      (p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p),
    );
  }

  /** The Deployment rolled out with minReplicas Ready pods and nothing else; throws until then. */
  async settled(): Promise<KubeObject[]> {
    const dep = await this.kube.get(
      `/apis/apps/v1/namespaces/${this.ns}/deployments/${this.deploymentName}`,
    );
    expect(dep.status?.observedGeneration).toBe(dep.metadata.generation);
    expect(dep.status?.updatedReplicas).toBe(this.minReplicas);
    expect(dep.status?.availableReplicas).toBe(this.minReplicas);
    const pods = await this.pods();
    expect(pods).toHaveLength(this.minReplicas);
    const ready = await this.readyPods();
    expect(ready).toHaveLength(this.minReplicas);
    return ready;
  }

  /** Every event of the namespace (the API keeps them for an hour). */
  async events(): Promise<KubeEvent[]> {
    return (await this.kube.get<KubeList<KubeEvent>>(`/api/v1/namespaces/${this.ns}/events`)).items;
  }
  async warnings(): Promise<KubeEvent[]> {
    return (await this.events()).filter((e) => e.type === 'Warning');
  }

  nodeOf(pod: KubeObject): RealNode {
    const node = this.cluster.nodes.find((n) => n.name === pod.spec.nodeName);
    if (!node)
      throw new Error(`pod ${pod.metadata.name} runs on ${pod.spec.nodeName}, not on a real node`);
    return node;
  }

  /** GET through the NodePort of one node address. */
  viaNodePort(ip: string, path: string) {
    return httpGet(ip, this.release.node_port, path);
  }

  /** `kubectl exec` in the app container: the command's stdout; throws with its stderr if it fails. */
  async exec(pod: string, command: string[]): Promise<string> {
    const { stdout } = await run(
      'kubectl',
      ['exec', '-n', this.ns, pod, '-c', this.container, '--', ...command],
      { timeoutMs: 30_000 },
    );
    return stdout;
  }

  /** A script run by the image's own node (the image has no shell); its JSON output. */
  async node<T>(pod: string, script: string): Promise<T> {
    return JSON.parse(await this.exec(pod, [imageNode, '-e', script])) as T;
  }

  /** The pid, as seen from the host, of the app container's main process (crictl inspect on its node). */
  async hostPid(pod: KubeObject): Promise<number> {
    const id = String(pod.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');
    const { stdout } = await run(
      'crictl',
      ['--runtime-endpoint', this.nodeOf(pod).cri, 'inspect', '--output', 'json', id],
      { timeoutMs: 30_000, unrecorded: true },
    );
    const pid = Number(JSON.parse(stdout).info?.pid);
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`crictl inspect ${id}: no pid`);
    return pid;
  }

  /** The current (and previous, if any) log of every pod of the app. */
  async containerLogs(): Promise<string> {
    const logs: string[] = [];
    for (const pod of await this.pods()) {
      for (const previous of [false, true]) {
        const path = `/api/v1/namespaces/${this.ns}/pods/${pod.metadata.name}/log?container=${this.container}${previous ? '&previous=true' : ''}`;
        const res = await this.kube.request('GET', path);
        if (res.status === 200) logs.push(res.text);
      }
    }
    return logs.join('\n');
  }

  async waitSettled(what: string, timeoutMs: number): Promise<KubeObject[]> {
    return eventually(`${this.env}: ${what}`, () => this.settled(), timeoutMs, 1_000);
  }
}
