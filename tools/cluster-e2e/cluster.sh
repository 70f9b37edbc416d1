#!/usr/bin/env bash
# A throwaway two-node Kubernetes control plane on 127.0.0.1 for tests: etcd, kube-apiserver (admission on,
# so Pod Security is enforced), kube-controller-manager, kube-scheduler, and two nodes: simulated by kwok
# (default: no container runs, kwok reports scheduled pods Running/Ready), or with --real-nodes two kubelets
# with their own containerd and a kube-proxy, all in a network namespace of the cluster's own (nodes.sh).
# See tools/cluster-e2e/README.md.
#
#   cluster.sh up NAME [--owner-pid PID] [--real-nodes [--image-archive FILE]...]
#                                          start; with an owner, a watchdog tears down when PID (or
#                                          a process that started it) exits, even by SIGKILL. Each
#                                          FILE (`podman save` output) is moved into the cluster and
#                                          imported into every node's containerd
#   cluster.sh down NAME                   stop, then verify no process, listening port, mount, cgroup or
#                                          network namespace of NAME is left
#   cluster.sh run NAME [UP-OPTION...] -- CMD [ARG...]
#                                          up, run CMD with KUBECONFIG set (and TMPDIR inside the state
#                                          directory; with --real-nodes inside the network namespace, with
#                                          the SHIPYARD_NODE* variables of the README), always down
#   cluster.sh kubeconfig NAME             print the kubeconfig path of NAME
#
# State (kwokctl's workdir, kubeconfig, logs) lives in ${TMPDIR:-/tmp}/shipyard-cluster-NAME and is deleted
# by down. Nothing is written to ~/.kube or ~/.kwok. CRDs and kubectl come from the toolchain cache
# (tools/toolchain/ensure.sh crds kubectl), like every other binary here.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF="$REPO/tools/cluster-e2e/cluster.sh"
# shellcheck source=tools/cluster-e2e/nodes.sh
source "$REPO/tools/cluster-e2e/nodes.sh"

say() { echo "==> cluster${NAME:+ $NAME}: $*" >&2; }
die() { echo "==> cluster${NAME:+ $NAME}: ERROR: $*" >&2; exit 1; }

set_name() {
  [[ ${1:-} =~ ^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$ ]] ||
    die "cluster name '${1:-}' must be 1-40 of [a-z0-9-], starting and ending with a letter or digit"
  NAME=$1
  ROOT="${TMPDIR:-/tmp}/shipyard-cluster-$NAME"
  export KWOK_WORKDIR="$ROOT/kwok"
  KUBECONFIG_PATH="$ROOT/kubeconfig"
  CLUSTER_DIR="$KWOK_WORKDIR/clusters/$NAME"
  # Every component runs as $CLUSTER_DIR/bin/<component>: a path no other cluster shares.
  # shellcheck disable=SC2016,SC2001 # a sed expression (escapes regex characters), not a shell one
  PROC_PATTERN="^$(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$CLUSTER_DIR/bin/")"
  nodes_vars
  REAL_NODES=""
  [[ ! -e $NODES_NETNS_PATH ]] || REAL_NODES=1
}

tools() {
  local real=()
  [[ -z $REAL_NODES ]] || real=(apt kubelet crictl pause)
  "$REPO/tools/toolchain/ensure.sh" kwok etcd k8s kubectl crds eso-crds "${real[@]}" >&2
  # shellcheck source=/dev/null
  source "$REPO/tools/toolchain/env.sh" kwok etcd k8s kubectl "${real[@]:1:2}"
}

# With real nodes the API server listens in the cluster's network namespace only.
kctl() {
  if [[ -n $REAL_NODES ]]; then timeout 60 nsenter --net="$NODES_NETNS_PATH" kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"
  else timeout 60 kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; fi
}

crds_dir() {
  local dir tool=${1:-crds}
  dir=$("$REPO/tools/toolchain/ensure.sh" --paths "$tool") || die "the CRDs are not generated: run tools/toolchain/ensure.sh $tool"
  compgen -G "$dir/*.yaml" >/dev/null || die "no *.yaml CRD in $dir"
  echo "$dir"
}

cluster_pids() { pgrep -f -- "$PROC_PATTERN" || true; }

# Ports listened on by the given pids (from ss), one per line.
ports_of() {
  local pid
  for pid in "$@"; do
    ss -Hltnp 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { n = split($4, a, ":"); print a[n] }'
  done | sort -u
}

start_watchdog() {
  local owner=$1
  # Detached twice over: its own session (a signal to the caller's process group misses it) and, through the
  # subshell that exits at once, a child of init, so a runner that kills the caller's process tree (nx does,
  # by parent pid) misses it too. No fd of the caller is kept open.
  (setsid bash "$SELF" _watch "$NAME" "$owner" </dev/null >>"$ROOT/watchdog.log" 2>&1 & echo $! >"$ROOT/watchdog.pid")
}

cmd_up() {
  local owner="" start crds eso_crds real="" archives=() f
  while (($#)); do
    case $1 in
      --owner-pid) owner=${2:?--owner-pid needs a pid}; shift 2 ;;
      --real-nodes) real=1; shift ;;
      --image-archive) archives+=("${2:?--image-archive needs a file}"); shift 2 ;;
      *) die "unknown option '$1' for up" ;;
    esac
  done
  ((${#archives[@]} == 0)) || [[ -n $real ]] || die "--image-archive needs --real-nodes: simulated nodes run no image"
  for f in "${archives[@]}"; do [[ -s $f ]] || die "image archive $f is missing or empty"; done
  start=$(date +%s%N)
  REAL_NODES=$real
  tools
  crds=$(crds_dir crds)
  eso_crds=$(crds_dir eso-crds)
  if [[ -e $ROOT || -e $NODES_NETNS_PATH ]] || [[ -n $(cluster_pids) ]]; then
    say "left over from an earlier run: tearing it down first"
    cmd_down
  fi
  mkdir -p "$ROOT" && chmod 700 "$ROOT"
  # A failed or interrupted start leaves nothing behind.
  # A second signal during the teardown is ignored: it is short and bounded, and must not be cut.
  trap 'rc=$?; trap - EXIT; trap "" INT TERM HUP; if ((rc)); then say "start failed (exit $rc): tearing down"; cmd_down || true; fi; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  [[ -z $owner ]] || start_watchdog "$owner"
  local in_netns=() disable=()
  if [[ -n $REAL_NODES ]]; then
    mkdir -p "$NODES_DIR/images"
    for f in "${archives[@]}"; do mv "$f" "$NODES_DIR/images/"; done
    nodes_netns_up
    in_netns=(nsenter --net="$NODES_NETNS_PATH")
    # kwok's controller would fake the status of the real nodes' pods.
    disable=(--disable kwok-controller)
  fi

  # Loopback only: every component binds to 127.0.0.1 (kwokctl's default is 0.0.0.0).
  # kwokctl gives kube-apiserver the aggregation layer's client certificate (--proxy-client-*) but not the
  # front-proxy flags: without them an aggregated API (metrics-server) sees every proxied request as kwok-admin
  # rather than as the user it is proxied for. Set as kubeadm does, with kwokctl's CA and admin certificate.
  cat >"$ROOT/kwokctl.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  bindAddress: 127.0.0.1
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - { key: requestheader-client-ca-file, value: "$CLUSTER_DIR/pki/ca.crt" }
      - { key: requestheader-allowed-names, value: kwok-admin }
      - { key: requestheader-username-headers, value: X-Remote-User }
      - { key: requestheader-group-headers, value: X-Remote-Group }
      - { key: requestheader-extra-headers-prefix, value: X-Remote-Extra- }
EOF
  # Node names resolve nowhere: the API server reaches kubelets (exec, logs) by their node address.
  [[ -z $REAL_NODES ]] || cat >>"$ROOT/kwokctl.yaml" <<'EOF'
      - { key: kubelet-preferred-address-types, value: InternalIP }
EOF
  local k8s kwok etcd
  k8s=$(dirname "$(command -v kube-apiserver)")
  kwok=$(dirname "$(command -v kwokctl)")
  etcd=$(dirname "$(command -v etcd)")
  say "creating (kwokctl --runtime binary, binaries from the toolchain cache)"
  # kwokctl picks ports by counting down from 32766 and checking they are free: two clusters created at the
  # same moment could pick the same ones, so creations on this machine take turns (fd 9; kwokctl and the
  # components it starts must not inherit it, or they would hold the lock forever).
  exec 9>"${TMPDIR:-/tmp}/shipyard-cluster-create.lock"
  flock -w 300 9 || die "waited 300 s for another cluster creation to finish"
  # Without the --*-binary flags kwokctl would try to download release binaries, which fails offline.
  KWOK_KUBE_VERSION=v1.34.4 timeout 240 "${in_netns[@]}" kwokctl --name "$NAME" -c "$ROOT/kwokctl.yaml" create cluster \
    --runtime binary --kubeconfig "$KUBECONFIG_PATH" \
    --kube-apiserver-binary "$k8s/kube-apiserver" \
    --kube-controller-manager-binary "$k8s/kube-controller-manager" \
    --kube-scheduler-binary "$k8s/kube-scheduler" \
    --etcd-binary "$etcd/etcd" \
    --kwok-controller-binary "$kwok/kwok" "${disable[@]}" \
    --wait 3m >"$ROOT/kwokctl-create.log" 2>&1 9>&- ||
    { tail -20 "$ROOT/kwokctl-create.log" >&2; die "kwokctl create cluster failed (log above)"; }
  exec 9>&-

  local i n=0
  if [[ -n $REAL_NODES ]]; then
    mapfile -t archives < <(find "$NODES_DIR/images" -name '*.tar')
    nodes_up "${archives[@]}"
  else
    timeout 60 kwokctl --name "$NAME" scale node --replicas 2 >"$ROOT/kwokctl-scale.log" 2>&1 ||
      { cat "$ROOT/kwokctl-scale.log" >&2; die "kwokctl scale node failed"; }
    for i in $(seq 60); do
      n=$(kctl get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
      ((n == 2)) && break
      sleep 1
    done
    ((n == 2)) || die "expected 2 Ready nodes after 60 s, got $n"
  fi

  say "installing CRDs from $crds and $eso_crds"
  # Server-side: the CRDs are too large for client-side apply's last-applied annotation.
  kctl apply --server-side --force-conflicts -f "$crds" -f "$eso_crds" >/dev/null
  kctl wait --for=condition=Established --timeout=60s -f "$crds" -f "$eso_crds" >/dev/null

  # Pod Security admission must be on: a privileged pod in a restricted namespace is refused.
  local out
  kctl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: shipyard-psa-probe
  labels:
    pod-security.kubernetes.io/enforce: restricted
EOF
  # The probe pod needs the namespace's default ServiceAccount, which a controller creates a moment later.
  for i in $(seq 60); do kctl get serviceaccount default -n shipyard-psa-probe >/dev/null 2>&1 && break; sleep 0.5; done
  if out=$(kctl run psa-probe -n shipyard-psa-probe --image=probe --privileged --dry-run=server -o name 2>&1); then
    die "Pod Security admission is not enforced: a privileged pod was admitted ($out)"
  fi
  [[ $out == *'violates PodSecurity "restricted:'* ]] || die "unexpected answer to the Pod Security probe: $out"
  kctl delete namespace shipyard-psa-probe --wait=false >/dev/null

  trap - EXIT INT TERM HUP
  local ms=$((($(date +%s%N) - start) / 1000000))
  say "up in $((ms / 1000)).$((ms % 1000 / 100)) s: 2 ${REAL_NODES:+real }nodes Ready, CRDs Established, Pod Security enforced"
  say "KUBECONFIG=$KUBECONFIG_PATH"
}

cmd_down() {
  local pids ports i left pid wd=""
  [[ -f $ROOT/watchdog.pid ]] && wd=$(cat "$ROOT/watchdog.pid")
  if [[ -f $ROOT/test.pgid ]]; then
    # Whatever ran against the cluster (cluster.sh run) goes with it.
    kill -TERM -- "-$(cat "$ROOT/test.pgid")" 2>/dev/null || true
  fi
  # The nodes first: their pods are stopped through the CRI while nothing restarts them.
  nodes_down
  mapfile -t pids < <(cluster_pids)
  mapfile -t ports < <(ports_of "${pids[@]}")
  if [[ -d $CLUSTER_DIR ]] && command -v kwokctl >/dev/null; then
    timeout 60 kwokctl --name "$NAME" delete cluster --kubeconfig "$KUBECONFIG_PATH" >/dev/null 2>&1 ||
      say "kwokctl delete cluster failed; stopping the processes directly"
  fi
  # Fallback, by the cluster's own binary path: TERM after 4 s, KILL after 8 s.
  for i in $(seq 50); do
    [[ -z $(cluster_pids) ]] && break
    if ((i == 20)); then pkill -TERM -f -- "$PROC_PATTERN" || true; fi
    if ((i == 40)); then pkill -KILL -f -- "$PROC_PATTERN" || true; fi
    sleep 0.2
  done
  left=$(cluster_pids)
  [[ -z $left ]] || die "processes of the cluster still running: ${left//$'\n'/ }"
  # Stopped components are reaped by init; wait for that so a process listing right after shows nothing.
  for i in $(seq 50); do
    left=""
    for pid in "${pids[@]}"; do [[ ! -e /proc/$pid ]] || left+=" $pid"; done
    [[ -z $left ]] && break
    sleep 0.2
  done
  [[ -z $left ]] || say "warning: stopped but not yet reaped by their parent:$left"
  for i in "${ports[@]}"; do
    ! ss -Hltn "sport = :$i" | grep -q . || die "port $i of the cluster is still listening"
  done
  # With real nodes the components listened in the namespace: it goes, and every socket and iptables rule with it.
  nodes_release_netns
  [[ ! -s $ROOT/watchdog.log ]] || sed 's/^/    watchdog: /' "$ROOT/watchdog.log" >&2
  rm -rf "$ROOT"
  # Last, so that if this teardown is itself killed half-way, the watchdog finishes it.
  [[ -z $wd || $wd == "$$" ]] || kill "$wd" 2>/dev/null || true
  say "down: no process left (${#pids[@]} stopped), ports ${ports[*]:-none} closed,${REAL_NODES:+ network namespace $NODES_NETNS deleted,} $ROOT removed"
}

# "pid:starttime" of a process (starttime tells a reused pid apart), and its parent pid.
proc_id() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }               # the fields after "(comm) ", comm may hold spaces
  read -ra stat <<<"$stat"
  echo "$1:${stat[19]} ${stat[1]}" # field 22 (starttime), field 4 (ppid)
}

alive() { [[ $(proc_id "${1%%:*}" | cut -d' ' -f1) == "$1" ]]; }

# A separate session, started by `up --owner-pid`. The owner is the wrapper (cluster.sh run) or any process
# that uses the cluster; its ancestors are whatever started it (nx, npm, a shell, the CI agent).
# - Owner gone (even SIGKILL): tear the cluster down.
# - An ancestor gone (e.g. `npx` killed: npm does not pass the signal on to nx, so the run would go on):
#   SIGTERM the owner, which stops its command and tears down; if it has not after 90 s, tear down here.
cmd_watch() {
  local owner=$1 chain=() id ppid pid gone="" waited=0
  read -r id ppid < <(proc_id "$owner") || { say "owner $owner is not running"; cmd_down; return; }
  owner=$id
  while ((ppid > 1)) && read -r id ppid < <(proc_id "$ppid"); do chain+=("$id"); done
  while [[ -d $ROOT ]]; do
    if ! alive "$owner"; then
      say "owner ${owner%%:*} is gone: tearing down"
      source "$REPO/tools/toolchain/env.sh" kwok 2>/dev/null || true
      cmd_down
      return
    fi
    if [[ -z $gone ]]; then
      for pid in "${chain[@]}"; do alive "$pid" || gone=${pid%%:*}; done
      if [[ -n $gone ]]; then
        say "process $gone that started the run is gone: stopping owner ${owner%%:*}"
        kill -TERM "${owner%%:*}" 2>/dev/null || true
      fi
    elif ((++waited == 90)); then
      kill -KILL "${owner%%:*}" 2>/dev/null || true
    fi
    sleep 1
  done
}

cmd_run() {
  local up=()
  while (($#)) && [[ $1 != -- ]]; do up+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  (($#)) || die "run needs a command: cluster.sh run NAME [UP-OPTION...] -- CMD [ARG...]"
  local child="" rc=0
  SECONDS=0
  # shellcheck disable=SC2317 # called from the EXIT trap
  stop_child() {
    [[ -n $child ]] || return 0
    kill -TERM -- "-$child" 2>/dev/null || return 0
    local i
    for i in $(seq 50); do kill -0 -- "-$child" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL -- "-$child" 2>/dev/null || true
  }
  # cmd_up cleans up after itself if it fails; its watchdog covers the moment between its traps and ours.
  cmd_up --owner-pid $$ "${up[@]}"
  # A second signal during the teardown (nx sends one to every process of the task, leaves first) is ignored:
  # the teardown is short and bounded, and must not be cut. If it is anyway (SIGKILL), the watchdog finishes it.
  trap 'rc=$?; trap - EXIT; trap "" INT TERM HUP; stop_child; cmd_down || rc=1; say "run finished in $SECONDS s (exit $rc)"; exit $rc' EXIT
  trap 'say "interrupted (SIGINT)"; exit 130' INT
  trap 'say "terminated (SIGTERM)"; exit 143' TERM
  trap 'say "hung up (SIGHUP)"; exit 129' HUP
  export KUBECONFIG=$KUBECONFIG_PATH SHIPYARD_CLUSTER_NAME=$NAME SHIPYARD_CLUSTER_LOGS=$CLUSTER_DIR/logs
  # The command's temporary files go with the cluster, even if it is killed before cleaning up.
  mkdir -p "$ROOT/tmp"
  export TMPDIR=$ROOT/tmp
  local in_netns=()
  if [[ -n $REAL_NODES ]]; then
    nodes_env
    in_netns=(nsenter --net="$NODES_NETNS_PATH")
  fi
  # Own process group, so a signal here stops the command and everything it started (helm, kubectl...).
  setsid "${in_netns[@]}" "$@" </dev/null &
  child=$!
  echo "$child" >"$ROOT/test.pgid"
  wait "$child" || rc=$?
  child=""
  rm -f "$ROOT/test.pgid"
  exit "$rc"
}

main() {
  local sub=${1:-}
  (($#)) && shift
  case $sub in
    up) set_name "${1:-}"; shift; cmd_up "$@" ;;
    down) set_name "${1:-}"; source "$REPO/tools/toolchain/env.sh" kwok 2>/dev/null || true; cmd_down ;;
    run) set_name "${1:-}"; shift; cmd_run "$@" ;;
    kubeconfig) set_name "${1:-}"; echo "$KUBECONFIG_PATH" ;;
    _watch) set_name "${1:-}"; cmd_watch "${2:?owner pid}" ;;
    *) sed -n '2,15p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
