import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@shipyard/testing';
import { run } from '../exec';
import type { Kube, KubeList, KubeObject } from '../kube';
import { HostAgent } from './agents';
import { type AppOnNodes, imageNode } from './app';
import type { RealCluster, RealNode } from './cluster';
import { statusOf } from './http';

/**
 * The chart's NetworkPolicy enforced by a real policy agent: kube-router's NetworkPolicy controller (iptables and
 * ipset), run as a host process in the cluster's network namespace for the first node.
 *
 * One agent, one node: the agent filters traffic to the pods of its own node, and both nodes share one network
 * namespace here, hence one set of iptables chains, which a second agent would overwrite. The assertions are made
 * on an app pod of that node; clients connect from the other node (routed) and from the same node (bridged).
 */

/** Where a probe connects from: a pod of this namespace on this node. */
interface Source {
  namespace: string;
  node: RealNode;
}

/** What a probe pod saw: the HTTP status per URL, or how the connection failed (`TimeoutError`, `ECONNREFUSED`). */
type Seen = Record<string, number | string>;

/** Runs in the API image's own node (the image has no shell), through `kubectl exec`; prints what it saw. */
const probeScript = `
const urls = JSON.parse(process.argv[1]);
(async () => {
  const seen = {};
  await Promise.all(urls.map(async (url) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      seen[url] = res.status;
    } catch (e) {
      seen[url] = String((e.cause && e.cause.code) || e.name);
    }
  }));
  process.stdout.write(JSON.stringify(seen));
})();
`;

const agentName = 'kube-router';

export class PolicyCheck {
  private agent?: HostAgent;
  private readonly createdNamespaces: string[] = [];
  private readonly clients: string[] = [];
  readonly monitoringNamespace: string;
  readonly otherNamespace = 'shipyard-np-elsewhere';

  private constructor(
    readonly app: AppOnNodes,
    readonly kube: Kube,
    readonly cluster: RealCluster,
    /** The node whose pods the agent guards: one that runs an app pod. */
    readonly guardedNode: RealNode,
    /** The other node, from where clients connect across the nodes' routing. */
    readonly otherNode: RealNode,
  ) {
    const contract = JSON.parse(
      readFileSync(join(app.release.chart_path, 'contract.json'), 'utf8'),
    ) as { monitoring_namespace: string };
    this.monitoringNamespace = contract.monitoring_namespace;
  }

  static async create(app: AppOnNodes, kube: Kube, cluster: RealCluster): Promise<PolicyCheck> {
    const [pod] = await app.readyPods();
    if (!pod) throw new Error(`no Ready app pod in ${app.ns}`);
    const guarded = app.nodeOf(pod);
    const other = cluster.nodes.find((n) => n.name !== guarded.name);
    if (!other) throw new Error('the policy checks need two nodes');
    return new PolicyCheck(app, kube, cluster, guarded, other);
  }

  /** The app pod the assertions are about: one on the guarded node. */
  async guardedPod(): Promise<KubeObject> {
    const pods = await this.app.readyPods();
    const pod = pods.find((p) => p.spec.nodeName === this.guardedNode.name);
    if (!pod) {
      throw new Error(
        `no Ready app pod on ${this.guardedNode.name} (pods on: ${pods.map((p) => p.spec.nodeName).join(', ')})`,
      );
    }
    return pod;
  }

  async ensureNamespace(name: string): Promise<void> {
    if (await this.kube.exists(`/api/v1/namespaces/${name}`)) return;
    const res = await this.kube.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
    if (res.status !== 201)
      throw new Error(`creating namespace ${name}: ${res.status} ${res.text}`);
    this.createdNamespaces.push(name);
  }

  /** The client pod of a source: `np-client-<node>`, idle until a probe is exec'd in it. */
  private clientName(from: Source): string {
    return `np-client-${from.node.name}`;
  }

  /**
   * Starts an idle client pod (the API image, its own node) for each source, and waits until they run. They exist
   * before the agent starts: it learns their addresses in its first sync, so no probe races the agent's view of a
   * new pod (a new pod's first packets can precede the agent's update, which is how a real client meets a
   * NetworkPolicy too, but not what this test is about).
   */
  async startClients(sources: Source[]): Promise<void> {
    const { repository, tag } = this.app.release.helm_values.image;
    for (const from of sources) {
      const created = await this.kube.request('POST', `/api/v1/namespaces/${from.namespace}/pods`, {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: this.clientName(from),
            labels: { 'app.kubernetes.io/name': 'np-client' },
          },
          spec: {
            nodeName: from.node.name,
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 0,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'client',
                image: `${repository}:${tag}`,
                imagePullPolicy: 'Never',
                command: [this.node, '-e', 'setInterval(() => {}, 1 << 30)'],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      });
      if (created.status !== 201) {
        throw new Error(
          `creating client pod in ${from.namespace}: ${created.status} ${created.text}`,
        );
      }
    }
    for (const from of sources) {
      await eventually(
        `client pod ${from.namespace}/${this.clientName(from)} to run`,
        async () => {
          const pod = await this.kube.get(
            `/api/v1/namespaces/${from.namespace}/pods/${this.clientName(from)}`,
          );
          expect(pod.status?.phase).toBe('Running');
          expect(pod.status?.podIP).toBeTruthy();
        },
        90_000,
      );
    }
  }

  /** The image's node (on no PATH): the Dockerfile's, not the chart's preStop hook, which other tests break. */
  private get node(): string {
    return imageNode;
  }

  /** GETs from the client pod of `from`; what each URL answered. */
  async probe(from: Source, urls: string[]): Promise<Seen> {
    const { stdout } = await run(
      'kubectl',
      [
        'exec',
        '-n',
        from.namespace,
        this.clientName(from),
        '--',
        this.node,
        '-e',
        probeScript,
        JSON.stringify(urls),
      ],
      { timeoutMs: 30_000 },
    );
    return JSON.parse(stdout) as Seen;
  }

  /** Starts the agent for the guarded node and waits until it has programmed that node's app pod. */
  async startAgent(): Promise<void> {
    const serviceCidrs = await this.kube.get('/apis/networking.k8s.io/v1/servicecidrs/kubernetes');
    this.agent = HostAgent.start(this.cluster, agentName, 'kube-router', 'kube-router', [
      `--kubeconfig=${this.cluster.kubeconfig}`,
      `--hostname-override=${this.guardedNode.name}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--run-loadbalancer=false',
      '--enable-cni=false',
      '--health-port=0',
      '--metrics-port=0',
      `--service-cluster-ip-range=${(serviceCidrs.spec.cidrs as string[]).join(',')}`,
      '--v=1',
    ]);
    const pod = await this.guardedPod();
    await eventually(
      `${agentName} to program the firewall of ${this.app.ns}/${pod.metadata.name}`,
      async () => {
        this.agent?.assertRunning();
        expect(await this.firewallHolds(pod)).toBe(true);
      },
      60_000,
      1_000,
    );
  }

  /** kube-router names each guarded pod in a comment of its rules. */
  private async firewallHolds(pod: KubeObject): Promise<boolean> {
    const { stdout } = await run('iptables-save', ['-t', 'filter'], {
      timeoutMs: 20_000,
      unrecorded: true,
    });
    return stdout.includes(`name:${pod.metadata.name} namespace: ${pod.metadata.namespace}`);
  }

  /** Stops the agent, removes what it installed, and the namespaces the checks created. */
  async cleanup(): Promise<void> {
    if (this.agent) {
      await this.agent.stop();
      await removeKubeRouterRules();
      this.agent = undefined;
    }
    for (const path of this.clients.splice(0)) await this.kube.request('DELETE', path);
    for (const name of this.createdNamespaces.splice(0)) {
      await this.kube.request('DELETE', `/api/v1/namespaces/${name}`);
    }
  }

  /** The NetworkPolicies of the app's namespace that select the pod, each with why it admits what it admits. */
  async policiesSelecting(pod: KubeObject): Promise<string[]> {
    const list = await this.kube.get<KubeList>(
      `/apis/networking.k8s.io/v1/namespaces/${this.app.ns}/networkpolicies`,
    );
    const labels = pod.metadata.labels ?? {};
    return list.items
      .filter((np) =>
        Object.entries((np.spec.podSelector?.matchLabels ?? {}) as Record<string, string>).every(
          ([k, v]) => labels[k] === v,
        ),
      )
      .map((np) => {
        const rules = (np.spec.ingress ?? []) as { from?: unknown[]; ports?: unknown[] }[];
        const open = rules.some((r) => !r.from?.length && !r.ports?.length);
        return `${np.metadata.name}${open ? ' (admits every source on every port)' : ''}: ingress ${JSON.stringify(rules)}`;
      });
  }

  agentLog(): string {
    return this.agent?.tail() ?? '';
  }
}

/** Is this a connection the agent stopped (no HTTP answer at all)? */
export const blocked = (seen: number | string | undefined) => typeof seen !== 'number';

/** The NodePort answers through both node addresses (traffic from outside the cluster). */
export async function nodePortStatuses(app: AppOnNodes, cluster: RealCluster): Promise<number[]> {
  return Promise.all(cluster.nodes.map((n) => statusOf(n.ip, app.release.node_port, '/', 3_000)));
}

const kubeRouterChain = /^:((?:KUBE-ROUTER-|KUBE-NWPLCY-|KUBE-POD-FW-)\S+)/;
const kubeRouterSet = /^KUBE-(?:SRC|DST)-/;

/**
 * What a stopped kube-router leaves: its jumps from INPUT, FORWARD and OUTPUT, its chains, its ipsets. Its own
 * `--cleanup-config` cannot remove them in v2.1.0 (it panics in the service proxy's cleanup, and its policy
 * cleanup starts from an empty state and removes nothing), so they go in one `iptables-restore --noflush`, which
 * leaves kube-proxy's rules alone. Without this, a later pod given the address of a pod guarded here would
 * inherit its rules.
 */
export async function removeKubeRouterRules(): Promise<void> {
  const saved = (
    await run('iptables-save', ['-t', 'filter'], { timeoutMs: 20_000, unrecorded: true })
  ).stdout.split('\n');
  const jumps = saved.filter((l) => /^-A (INPUT|FORWARD|OUTPUT) .*-j KUBE-ROUTER-/.test(l));
  const chains = saved.flatMap((l) => kubeRouterChain.exec(l)?.[1] ?? []);
  const script = [
    '*filter',
    ...jumps.map((l) => l.replace(/^-A /, '-D ')),
    ...chains.map((c) => `-F ${c}`),
    ...chains.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'kube-router-cleanup-'));
  try {
    writeFileSync(join(dir, 'rules'), script);
    await run('iptables-restore', ['--noflush', join(dir, 'rules')], { timeoutMs: 20_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sets = (await run('ipset', ['list', '-n'], { timeoutMs: 20_000 })).stdout
    .split('\n')
    .filter((name) => kubeRouterSet.test(name));
  for (const name of sets) await run('ipset', ['destroy', name], { timeoutMs: 20_000 });
  const left = (
    await run('iptables-save', ['-t', 'filter'], { timeoutMs: 20_000, unrecorded: true })
  ).stdout
    .split('\n')
    .filter((l) => /KUBE-ROUTER-|KUBE-NWPLCY-|KUBE-POD-FW-/.test(l));
  if (left.length > 0) throw new Error(`kube-router rules left after cleanup:\n${left.join('\n')}`);
}
