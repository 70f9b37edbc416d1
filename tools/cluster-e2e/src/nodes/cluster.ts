/**
 * What `cluster.sh run --real-nodes` tells the command it runs (tools/cluster-e2e/README.md, "Real nodes"). The
 * command runs inside the cluster's network namespace: node addresses, NodePorts and pod addresses are reachable.
 */
export interface RealNode {
  name: string;
  ip: string;
  /** containerd's CRI endpoint of this node, for crictl. */
  cri: string;
}

export interface RealCluster {
  kubeconfig: string;
  nodes: RealNode[];
  /** The API image built from apps/api/Dockerfile, imported into every node (e.g. localhost/shipyard-api:tag). */
  image: { repository: string; tag: string };
  /** Network namespace the cluster runs in, and the range of its node addresses. */
  netns: string;
  nodesCidr: string;
  /** A binary started from here is stopped by the cluster's teardown. */
  binDir: string;
  /** The nodes' agent logs (containerd, kubelet, kube-proxy). */
  logsDir: string;
  /** kube-apiserver's and the other control-plane logs. */
  controlPlaneLogs: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run this suite with \`npx nx run cluster-e2e:e2e-nodes\` (tools/cluster-e2e/run.sh --real-nodes)`,
    );
  }
  return value;
}

const words = (name: string) => required(name).split(/\s+/).filter(Boolean);

export function realCluster(): RealCluster {
  const names = words('SHIPYARD_NODE_NAMES');
  const ips = words('SHIPYARD_NODE_IPS');
  const cris = words('SHIPYARD_CRI_ENDPOINTS');
  if (ips.length !== names.length || cris.length !== names.length) {
    throw new Error(
      'SHIPYARD_NODE_NAMES, SHIPYARD_NODE_IPS and SHIPYARD_CRI_ENDPOINTS differ in length',
    );
  }
  const image = required('SHIPYARD_IMAGE');
  const colon = image.lastIndexOf(':');
  if (colon <= image.lastIndexOf('/')) throw new Error(`SHIPYARD_IMAGE "${image}" has no tag`);
  return {
    kubeconfig: required('KUBECONFIG'),
    nodes: names.map((name, i) => ({ name, ip: ips[i], cri: cris[i] })),
    image: { repository: image.slice(0, colon), tag: image.slice(colon + 1) },
    netns: required('SHIPYARD_NODES_NETNS'),
    nodesCidr: required('SHIPYARD_NODES_CIDR'),
    binDir: required('SHIPYARD_NODES_BIN'),
    logsDir: required('SHIPYARD_NODES_LOGS'),
    controlPlaneLogs: required('SHIPYARD_CLUSTER_LOGS'),
  };
}
