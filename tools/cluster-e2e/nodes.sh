# shellcheck shell=bash
# Real nodes for cluster.sh (sourced by it; uses its NAME, ROOT, KUBECONFIG_PATH, say, die and kctl).
#
# Everything runs in a network namespace of its own (NODES_NETNS), entered with `nsenter --net` (`ip netns exec`
# would remount /sys and hide the cgroup mounts kubelet needs):
#   - a bridge (NODES_BRIDGE) holding the node addresses and the default route kube-apiserver needs;
#   - the control plane (cluster.sh starts kwokctl in the namespace), without kwok's controller;
#   - per node: a containerd (own root, state, socket, CNI config with its own bridge, subnet and network name,
#     pod network namespaces under its state dir) and a kubelet (own root and cert dirs, cgroup root, node IP);
#   - one kube-proxy (iptables) for the namespace, NodePorts on the node addresses only.
# Its pods' addresses, Services and iptables rules stay in that namespace and go with it.
#
# Teardown (nodes_down) works from whatever is left, even after a SIGKILL: kubelets and kube-proxy stopped, every
# pod sandbox stopped and removed through the CRI (so CNI releases its addresses and network namespaces), then the
# containerds; anything still running in the nodes' cgroups or started from NODES_BIN killed; every mount under
# the state dir unmounted; the cgroup roots, the namespace, CNI's cache entries and kubelet's log links removed.

NODES_COUNT=2
NODES_BRIDGE=shipyard0
NODES_CIDR=10.77.0.0/24
# Pod subnets: 10.244.<n>.0/24 for node n, inside this cluster CIDR (kube-proxy's notion of "local" traffic).
NODES_POD_CIDR=10.244.0.0/16
CNI_BIN_DIR=/usr/lib/cni

nodes_vars() {
  NODES_NETNS=shipyard-$NAME
  NODES_NETNS_PATH=/var/run/netns/$NODES_NETNS
  NODES_DIR=$ROOT/nodes
  # Agents run from here (links to the toolchain's binaries), so teardown can find them by path; so can any
  # process a test starts from here (SHIPYARD_NODES_BIN).
  NODES_BIN=$NODES_DIR/bin
  NODES_AGENT_PATTERN="^$(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$NODES_BIN/")"
  NODES_SHIM_PATTERN="containerd-shim-runc-v2 .*-address $(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$NODES_DIR/")"
}

node_name() { echo "shipyard-node-$1"; }
node_ip() { echo "10.77.0.$((10 + $1))"; }
node_dir() { echo "$NODES_DIR/n$1"; }
node_sock() { echo "$(node_dir "$1")/containerd.sock"; }
node_cgroup() { echo "shipyard-$NAME-n$1"; }
node_network() { echo "shipyard-$NAME-n$1"; }
in_netns() { nsenter --net="$NODES_NETNS_PATH" "$@"; }
crictl_of() { local sock; sock=$(node_sock "$1"); shift; timeout 60 crictl --runtime-endpoint "unix://$sock" --timeout 20s "$@"; }
ctr_of() { local sock; sock=$(node_sock "$1"); shift; timeout 120 ctr --address "$sock" --namespace k8s.io "$@"; }

# The namespace: a bridge with the node addresses, up, and a default route through it.
nodes_netns_up() {
  local i
  ip netns add "$NODES_NETNS"
  ip -n "$NODES_NETNS" link set lo up
  ip -n "$NODES_NETNS" link add "$NODES_BRIDGE" type bridge
  for i in $(seq "$NODES_COUNT"); do ip -n "$NODES_NETNS" addr add "$(node_ip "$i")/24" dev "$NODES_BRIDGE"; done
  ip -n "$NODES_NETNS" link set "$NODES_BRIDGE" up
  ip -n "$NODES_NETNS" route add default dev "$NODES_BRIDGE"
  # Routing between the nodes' pod bridges; bridged pod traffic through iptables (kube-proxy's Service rules).
  in_netns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

# A cgroup root per node under every hierarchy (kubelet's cgroupfs driver requires it to exist).
nodes_cgroups_up() {
  local i c dir
  for i in $(seq "$NODES_COUNT"); do
    for c in /sys/fs/cgroup/*/; do
      dir=$c$(node_cgroup "$i")
      mkdir -p "$dir"
      # A new cpuset starts empty; a task can join it only once it has CPUs and memory nodes.
      if [[ -f $dir/cpuset.cpus ]]; then cat "${c}cpuset.cpus" >"$dir/cpuset.cpus"; cat "${c}cpuset.mems" >"$dir/cpuset.mems"; fi
    done
  done
}

nodes_containerd_config() {
  local i=$1 dir pause
  dir=$(node_dir "$i")
  pause=$(cat "$(pause_dir)/image-name")
  mkdir -p "$dir/net.d" "$dir/ipam"
  cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$(node_sock "$i")"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  # No CAP_SYS_RESOURCE here: runc may not lower a container's oom_score_adj below containerd's own.
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir rather than /var/run/netns, where teardown finds them.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$dir/net.d"
    max_conf_num = 1
EOF
  # No masquerading: pod addresses are routed as they are inside the namespace, so a NetworkPolicy sees them.
  cat >"$dir/net.d/10-shipyard.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$(node_network "$i")",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni$i",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/ipam",
        "ranges": [[{ "subnet": "10.244.$i.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    }
  ]
}
EOF
}

nodes_kubelet_config() {
  local i=$1 dir
  dir=$(node_dir "$i")
  mkdir -p "$dir/kubelet" "$dir/pod-logs" "$dir/volume-plugins"
  cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_ip "$i")
# Two kubelets share the namespace: each serves on its own address, the health port included.
healthzBindAddress: $(node_ip "$i")
readOnlyPort: 0
containerRuntimeEndpoint: unix://$(node_sock "$i")
cgroupDriver: cgroupfs
cgroupRoot: /$(node_cgroup "$i")
failSwapOn: false
podLogsDir: $dir/pod-logs
volumePluginDir: $dir/volume-plugins
resolvConf: ""
# The API server reaches kubelets (exec, logs) without a client certificate; nothing outside the namespace can.
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
# Images are imported, never pulled: garbage collection must not remove them, nor eviction the pods, on a
# machine whose disk is shared with everything else.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
maxPods: 40
EOF
}

nodes_proxy_config() {
  mkdir -p "$NODES_DIR/kube-proxy"
  cat >"$NODES_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $KUBECONFIG_PATH
hostnameOverride: $(node_name 1)
mode: iptables
clusterCIDR: $NODES_POD_CIDR
nodePortAddresses: [$NODES_CIDR]
bindAddress: $(node_ip 1)
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# Conntrack limits are host-wide settings: leave them as they are.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

pause_dir() { "$REPO/tools/toolchain/ensure.sh" --paths pause; }

# Starts an agent detached (own session, stdin closed, log in the nodes' log dir), in the namespace, from NODES_BIN.
nodes_spawn() {
  local log=$1 bin=$2; shift 2
  [[ -e $NODES_BIN/$bin ]] || ln -s "$(command -v "$bin")" "$NODES_BIN/$bin"
  (setsid nsenter --net="$NODES_NETNS_PATH" "$NODES_BIN/$bin" "$@" </dev/null >>"$NODES_DIR/logs/$log.log" 2>&1 &)
}

# wait_for SECONDS WHAT CMD...: CMD succeeds within SECONDS, or die naming WHAT and the log to read.
wait_for() {
  local seconds=$1 what=$2 i; shift 2
  for i in $(seq $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what not within $seconds s"
}

# nodes_up IMAGE_ARCHIVE...: images saved with `podman save` are imported into every node.
nodes_up() {
  local i start=$SECONDS archive pause
  pause=$(pause_dir)
  mkdir -p "$NODES_BIN" "$NODES_DIR/logs"
  nodes_cgroups_up
  for i in $(seq "$NODES_COUNT"); do
    nodes_containerd_config "$i"
    nodes_spawn "containerd-$i" containerd --config "$(node_dir "$i")/containerd.toml"
  done
  for i in $(seq "$NODES_COUNT"); do
    wait_for 30 "containerd of node $i answering (log: $NODES_DIR/logs/containerd-$i.log)" ctr_of "$i" version
    ctr_of "$i" images import "$pause/pause.tar" >/dev/null
    for archive in "$@"; do ctr_of "$i" images import "$archive" >/dev/null; done
  done
  say "containerds up, images imported ($((SECONDS - start)) s)"
  for i in $(seq "$NODES_COUNT"); do
    nodes_kubelet_config "$i"
    nodes_spawn "kubelet-$i" kubelet --config "$(node_dir "$i")/kubelet.yaml" --kubeconfig "$KUBECONFIG_PATH" \
      --root-dir "$(node_dir "$i")/kubelet" --cert-dir "$(node_dir "$i")/kubelet/pki" \
      --hostname-override "$(node_name "$i")" --node-ip "$(node_ip "$i")" --v=1
  done
  nodes_proxy_config
  nodes_spawn kube-proxy kube-proxy --config "$NODES_DIR/kube-proxy.yaml" --v=1
  local n=0
  for i in $(seq 120); do
    n=$(kctl get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
    ((n == NODES_COUNT)) && break
    sleep 1
  done
  ((n == NODES_COUNT)) || { nodes_diagnose; die "expected $NODES_COUNT Ready nodes after 120 s, got $n (diagnosis above)"; }
  say "$NODES_COUNT real nodes Ready ($((SECONDS - start)) s): $(for i in $(seq "$NODES_COUNT"); do printf '%s=%s ' "$(node_name "$i")" "$(node_ip "$i")"; done)"
}

# Why nodes are not Ready, on stderr: the teardown that follows a failed start removes the state dir and its logs.
nodes_diagnose() {
  local f
  {
    echo "==> nodes: their conditions:"
    kctl get nodes -o 'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,REASON:.status.conditions[?(@.type=="Ready")].reason,MESSAGE:.status.conditions[?(@.type=="Ready")].message' 2>&1 || true
    for f in "$NODES_DIR"/logs/*.log; do
      [[ -e $f ]] || continue
      echo "==> nodes: last lines of $(basename "$f") that are errors or warnings:"
      grep -E '^[EW][0-9]{4} |level=(error|warning)' "$f" | tail -n 15 || true
    done
  } >&2
}

# pids of the nodes' agents and shims
nodes_pids() { { pgrep -f -- "$NODES_AGENT_PATTERN"; pgrep -f -- "$NODES_SHIM_PATTERN"; } 2>/dev/null | sort -u || true; }

# stop PATTERN SECONDS: TERM what matches, KILL it after SECONDS.
stop_matching() {
  local pattern=$1 seconds=$2 i
  pkill -TERM -f -- "$pattern" 2>/dev/null || return 0
  for i in $(seq $((seconds * 5))); do pgrep -f -- "$pattern" >/dev/null || return 0; sleep 0.2; done
  pkill -KILL -f -- "$pattern" 2>/dev/null || true
  sleep 0.5
}

# The sockets of the nodes' shims: containerd 1.6 puts them under its default state dir (/run/containerd/s)
# whatever its configured one, named by the sha256 of "<containerd address>/<namespace>/<shim id>".
nodes_shim_sockets() {
  local pid args id address ns
  for pid in $(pgrep -f -- "$NODES_SHIM_PATTERN" 2>/dev/null); do
    mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || continue
    id="" address="" ns=""
    set -- "${args[@]}"
    while (($#)); do
      case $1 in -id) id=$2; shift ;; -address) address=$2; shift ;; -namespace) ns=$2; shift ;; esac
      shift
    done
    [[ -n $id && -n $address && -n $ns ]] || continue
    echo "/run/containerd/s/$(printf '%s' "$address/$ns/$id" | sha256sum | cut -d' ' -f1)"
  done
}

# Every process in a node's cgroups (containers, and whatever escaped their sandbox's teardown).
cgroup_pids() {
  local i
  for i in $(seq "$NODES_COUNT"); do
    find /sys/fs/cgroup/*/"$(node_cgroup "$i")" -name cgroup.procs -exec cat {} + 2>/dev/null || true
  done | sort -u
}

nodes_down() {
  [[ -d $NODES_DIR || -e $NODES_NETNS_PATH ]] || return 0
  local i sock ids m left stopped=0 shim_sockets
  command -v crictl >/dev/null || source "$REPO/tools/toolchain/env.sh" crictl 2>/dev/null || true
  local -a mounts
  # No kubelet may restart what is being stopped.
  stop_matching "^$(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$NODES_BIN/")(kubelet|kube-proxy) " 15
  for i in $(seq "$NODES_COUNT"); do
    sock=$(node_sock "$i")
    [[ -S $sock ]] && command -v crictl >/dev/null || continue
    crictl_of "$i" version >/dev/null 2>&1 || continue
    # Through the CRI: CNI deletes each pod's interface, address and network namespace.
    ids=$(crictl_of "$i" pods -q 2>/dev/null || true)
    [[ -z $ids ]] && continue
    # shellcheck disable=SC2086 # one id per word
    crictl_of "$i" stopp $ids >/dev/null 2>&1 || say "warning: crictl stopp on node $i failed"
    # shellcheck disable=SC2086
    crictl_of "$i" rmp -f $ids >/dev/null 2>&1 || say "warning: crictl rmp on node $i failed"
    stopped=$((stopped + $(wc -w <<<"$ids")))
  done
  # The rest of the agents (containerd, and whatever a test started from NODES_BIN), then the shims.
  stop_matching "$NODES_AGENT_PATTERN" 15
  shim_sockets=$(nodes_shim_sockets)
  stop_matching "$NODES_SHIM_PATTERN" 5
  # Containers whose shim is gone: killed through their cgroups.
  for i in 1 2 3; do
    left=$(cgroup_pids)
    [[ -z $left ]] && break
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.5
  done
  # A shim killed before it cleaned up leaves its socket behind.
  for m in $shim_sockets; do rm -f "$m"; done
  # Mounts under the state dir, deepest first: container root filesystems, shm, pod volumes, netns files.
  mapfile -t mounts < <(awk -v root="$NODES_DIR/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  ((${#mounts[@]} == 0)) || say "unmounting what the nodes left: ${mounts[*]#"$NODES_DIR"/}"
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "warning: cannot unmount $m"; done
  # Cgroups, innermost first (a cgroup with a child or a task cannot be removed).
  for i in $(seq "$NODES_COUNT"); do
    find /sys/fs/cgroup/*/"$(node_cgroup "$i")" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # CNI's result cache (libcni keeps it in /var/lib/cni whatever the runtime's dirs) and kubelet's links to
  # container logs (always in /var/log/containers).
  # Entries are named <network>-<sandbox id>-<interface>; containerd's loopback network is "cni-loopback".
  local entry id
  for i in $(seq "$NODES_COUNT"); do
    for entry in /var/lib/cni/results/"$(node_network "$i")"-*; do
      [[ -e $entry ]] || continue
      id=${entry#/var/lib/cni/results/"$(node_network "$i")"-}
      rm -f "$entry" "/var/lib/cni/results/cni-loopback-${id%-*}-lo"
    done
  done
  find /var/log/containers -maxdepth 1 -type l -lname "$NODES_DIR/*" -delete 2>/dev/null || true
  say "nodes down: $stopped pod sandbox(es) stopped through the CRI, ${#mounts[@]} mount(s) released"
}

# Last, once the control plane in it has stopped too.
nodes_release_netns() {
  [[ ! -e $NODES_NETNS_PATH ]] || ip netns delete "$NODES_NETNS" || say "warning: ip netns delete $NODES_NETNS failed"
  nodes_check_clean
}

# What a command run against the real nodes is told (tools/cluster-e2e/README.md lists it).
nodes_env() {
  local i ips=() names=() images=() cri=() f
  for i in $(seq "$NODES_COUNT"); do
    ips+=("$(node_ip "$i")") names+=("$(node_name "$i")") cri+=("unix://$(node_sock "$i")")
  done
  for f in "$NODES_DIR"/images/*.tar; do
    [[ -e $f ]] && images+=("$(tar -xOf "$f" manifest.json | jq -r '.[0].RepoTags[0]')")
  done
  export SHIPYARD_NODES_NETNS=$NODES_NETNS SHIPYARD_NODES_CIDR=$NODES_CIDR SHIPYARD_POD_CIDR=$NODES_POD_CIDR
  export SHIPYARD_NODE_IPS="${ips[*]}" SHIPYARD_NODE_NAMES="${names[*]}" SHIPYARD_NODES_BIN=$NODES_BIN
  export SHIPYARD_NODES_LOGS=$NODES_DIR/logs SHIPYARD_IMAGES="${images[*]}" SHIPYARD_IMAGE=${images[0]:-}
  export SHIPYARD_CRI_ENDPOINTS="${cri[*]}"
}

# Dies naming whatever of the nodes is left: process, mount, cgroup, network namespace.
nodes_check_clean() {
  local left
  left=$(nodes_pids; cgroup_pids)
  [[ -z $left ]] || die "processes of the nodes still running: $(tr '\n' ' ' <<<"$left")"
  left=$(awk -v root="$NODES_DIR/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo)
  [[ -z $left ]] || die "mounts left under $NODES_DIR: $left"
  left=$(for i in $(seq "$NODES_COUNT"); do ls -d /sys/fs/cgroup/*/"$(node_cgroup "$i")" 2>/dev/null || true; done)
  [[ -z $left ]] || die "cgroups left: $left"
  [[ ! -e $NODES_NETNS_PATH ]] || die "network namespace $NODES_NETNS is left"
}
