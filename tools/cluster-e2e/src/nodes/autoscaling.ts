import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, sleep } from '@shipyard/testing';
import type { Kube, KubeList } from '../kube';
import { HostAgent } from './agents';
import type { AppOnNodes } from './app';
import type { RealCluster } from './cluster';
import { describeLoad, Load } from './load';

/**
 * metrics-server as the cluster add-on it is (an aggregated API, v1beta1.metrics.k8s.io), run as a host process
 * in the cluster's network namespace instead of a pod: it scrapes each kubelet's /metrics/resource, and
 * kube-apiserver proxies to it through a Service without selector whose EndpointSlice names where it listens,
 * so the request takes the same path (ClusterIP, kube-proxy) as to a metrics-server pod.
 */

const namespace = 'kube-system';
const name = 'metrics-server';
const apiService = 'v1beta1.metrics.k8s.io';
const listenPort = 4443;

export class MetricsServer {
  private agent?: HostAgent;

  constructor(
    readonly kube: Kube,
    readonly cluster: RealCluster,
  ) {}

  /** Where it listens: the first node's address (any address of the namespace would do). */
  get address(): string {
    return this.cluster.nodes[0].ip;
  }

  async start(): Promise<void> {
    const kubeconfig = this.cluster.kubeconfig;
    this.agent = HostAgent.start(this.cluster, name, 'metrics-server', 'metrics-server', [
      `--kubeconfig=${kubeconfig}`,
      // Who may call it, delegated to kube-apiserver: its client CA and front-proxy (request header) settings
      // from the extension-apiserver-authentication ConfigMap, SubjectAccessReviews for the rest.
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${this.address}`,
      `--secure-port=${listenPort}`,
      // A self-signed serving certificate, as in upstream's manifest (the APIService skips verification).
      `--cert-dir=${mkdtempSync(join(tmpdir(), 'metrics-server-'))}`,
      // Kubelets serve a self-signed certificate here (no serving certificate was signed for them).
      '--kubelet-insecure-tls',
      '--kubelet-preferred-address-types=InternalIP',
      '--kubelet-use-node-status-port',
      // Upstream's manifest sets 15 s (default 60 s): the HPA (every 15 s) sees fresh usage.
      '--metric-resolution=15s',
    ]);
    await this.register();
    await eventually(
      `${apiService} to be Available and to serve both nodes' usage`,
      async () => {
        this.agent?.assertRunning();
        const svc = await this.kube.get(
          `/apis/apiregistration.k8s.io/v1/apiservices/${apiService}`,
        );
        const available = svc.status?.conditions?.find(
          (c: { type: string }) => c.type === 'Available',
        );
        expect(`${available?.status}: ${available?.message ?? ''}`).toMatch(/^True/);
        const nodes = await this.kube.get<KubeList>('/apis/metrics.k8s.io/v1beta1/nodes');
        expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(
          this.cluster.nodes.map((n) => n.name).sort(),
        );
      },
      120_000,
      2_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast lines of ${this.agent?.log}:\n${this.agent?.tail()}`);
    });
  }

  private async register(): Promise<void> {
    const create = async (path: string, body: object) => {
      const res = await this.kube.request('POST', path, { body });
      if (res.status !== 201)
        throw new Error(`POST ${path}: ${res.status} ${res.body?.message ?? res.text}`);
    };
    await create(`/api/v1/namespaces/${namespace}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: 'https', port: 443, targetPort: listenPort, protocol: 'TCP' }] },
    });
    await create(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace,
        labels: {
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': 'shipyard-cluster-e2e',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [this.address], conditions: { ready: true } }],
      ports: [{ name: 'https', port: listenPort, protocol: 'TCP' }],
    });
    await create('/apis/apiregistration.k8s.io/v1/apiservices', {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: apiService },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name, namespace, port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
  }

  async stop(): Promise<void> {
    for (const path of [
      `/apis/apiregistration.k8s.io/v1/apiservices/${apiService}`,
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}`,
      `/api/v1/namespaces/${namespace}/services/${name}`,
    ]) {
      await this.kube.request('DELETE', path);
    }
    await this.agent?.stop();
  }
}

/** The pods' CPU use as metrics-server reports it, in millicores, one entry per pod. */
async function podCpu(app: AppOnNodes): Promise<string> {
  const res = await app.kube.request(
    'GET',
    `/apis/metrics.k8s.io/v1beta1/namespaces/${app.ns}/pods?labelSelector=${encodeURIComponent(app.selector)}`,
  );
  if (res.status !== 200) return `(pod metrics: ${res.status})`;
  return (
    res.body.items as { metadata: { name: string }; containers: { usage: { cpu: string } }[] }[]
  )
    .map((p) => `${p.metadata.name} ${p.containers.map((c) => c.usage.cpu).join('+')}`)
    .join(', ');
}

/** The HPA's state, for progress lines and failure messages. */
async function hpaState(app: AppOnNodes): Promise<{ line: string }> {
  const hpa = await app.kube.get(
    `/apis/autoscaling/v2/namespaces/${app.ns}/horizontalpodautoscalers/${app.one('HorizontalPodAutoscaler').metadata.name}`,
  );
  const cpu = hpa.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
  const conditions = (hpa.status?.conditions ?? [])
    .map(
      (c: { type: string; status: string; reason: string; message: string }) =>
        `${c.type}=${c.status} ${c.reason}: ${c.message}`,
    )
    .join('; ');
  return {
    line: `HPA ${hpa.status?.currentReplicas}->${hpa.status?.desiredReplicas} replicas, CPU ${cpu ?? '?'}% of request (target ${app.settings.autoscaling.targetCpuUtilizationPercent}%); ${conditions}`,
  };
}

/**
 * CPU load: wrk (a C load generator, keep-alive connections, as many requests as they take) against the NodePort
 * of each node address. The suite's own keep-alive clients run in its one event loop and cannot send enough: with
 * 16 of them back to back the two pods used about 60% of their CPU request, under the 70% target.
 */
class Wrk {
  private output = '';
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(readonly url: string) {
    this.child = spawn(
      'wrk',
      ['--threads', '1', '--connections', '16', '--duration', '900s', url],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout?.on('data', (c) => (this.output += c));
    this.child.stderr?.on('data', (c) => (this.output += c));
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  /** Stops it (it prints its summary on SIGINT); its summary. */
  async stop(): Promise<string> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    const requests = /(\d+) requests in ([\d.]+\w+)/.exec(this.output);
    const errors = /Socket errors: .*|Non-2xx or 3xx responses: \d+/g;
    return (
      `${this.url}: ${requests ? `${requests[1]} requests in ${requests[2]}` : this.output.trim()}` +
      `${(this.output.match(errors) ?? []).map((e) => `, ${e}`).join('')}`
    );
  }
}

export interface ScalingResult {
  peak: number;
  upSeconds: number;
  downSeconds: number;
  lines: string[];
}

/**
 * CPU load through the NodePort (wrk on both node addresses) until the HPA has scaled the app up
 * and the new pods are Ready; then light load until it is back at its minimum. The light load must not lose a
 * request while the HPA removes pods.
 */
export async function scaleUpAndDown(
  app: AppOnNodes,
  cluster: RealCluster,
): Promise<ScalingResult> {
  const min = app.minReplicas;
  const lines: string[] = [];
  await app.settled();
  const targets = cluster.nodes.map((n) => ({ host: n.ip, port: app.release.node_port }));

  const heavy = targets.map((t) => new Wrk(`http://${t.host}:${t.port}/`));
  const upStart = Date.now();
  let peak = min;
  try {
    await eventually(
      `the HPA to scale ${app.ns} above ${min} pods under CPU load, new pods Ready`,
      async () => {
        const state = await hpaState(app);
        const ready = await app.readyPods();
        peak = Math.max(peak, ready.length);
        if (ready.length <= min) {
          throw new Error(
            `${ready.length} Ready pods; ${state.line}; pod CPU: ${await podCpu(app)}`,
          );
        }
      },
      240_000,
      3_000,
    );
  } finally {
    lines.push(
      ...(await Promise.all(heavy.map((w) => w.stop()))).map((l) => `  CPU load (wrk) ${l}`),
    );
  }
  const upSeconds = (Date.now() - upStart) / 1000;
  lines.unshift(
    `scale-up: ${min} -> ${peak} Ready pods in ${upSeconds.toFixed(1)} s under CPU load`,
  );

  const light = Load.start({ targets, clients: 2 * targets.length, pauseMs: 50, timeoutMs: 5_000 });
  const downStart = Date.now();
  try {
    await eventually(
      `the HPA to scale ${app.ns} back to ${min} pods once the load is light`,
      async () => {
        const ready = await app.readyPods();
        peak = Math.max(peak, ready.length);
        const pods = await app.pods();
        if (pods.length !== min)
          throw new Error(`${pods.length} pods; ${(await hpaState(app)).line}`);
        await app.settled();
      },
      360_000,
      3_000,
    );
    await sleep(2_000);
  } finally {
    await light.stop();
  }
  const downSeconds = (Date.now() - downStart) / 1000;
  const lightStats = light.snapshot();
  lines.push(
    `scale-down: ${peak} -> ${min} pods in ${downSeconds.toFixed(1)} s after the load dropped`,
    describeLoad('  light load while pods were removed', lightStats),
  );
  if (lightStats.failed > 0)
    throw new Error(`requests failed while the HPA removed pods:\n${lines.join('\n')}`);
  return { peak, upSeconds, downSeconds, lines };
}
