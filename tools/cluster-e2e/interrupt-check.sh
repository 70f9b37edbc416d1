#!/usr/bin/env bash
# Shows that killing the integration run midway leaves no cluster process behind.
#   interrupt-check.sh [--signal TERM|INT|HUP|KILL] [--after SECONDS] [--target npx|nx|group] [--real-nodes]
# Starts `npx nx run cluster-e2e:e2e` (with --real-nodes: cluster-e2e:e2e-nodes), sends the signal after SECONDS
# (default TERM after 20 s; counted from the cluster's creation) to the npx process (default), to the nx process,
# or to the whole process group (what Ctrl-C does in a terminal), then waits for everything of that run to exit
# and prints what is left of it: processes running from its state dir (kube-apiserver, etcd, kwok, kubelet,
# kube-proxy, containerd and its shims), listening
# ports, and of the real nodes: mounts under the state dir, cgroups, network namespaces (the cluster's and CNI's),
# CNI cache entries, shim sockets, the cluster's iptables chains in the host namespace. Exit 1 if anything is left.
# NX_ARGS replaces the default `--output-style=stream` (which shows the run's own output in the log).
set -euo pipefail

signal=TERM after=20 target=npx target_name=e2e
while (($#)); do
  case $1 in
    --real-nodes) target_name=e2e-nodes; shift ;;
    --signal) signal=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
log=$(mktemp "${TMPDIR:-/tmp}/interrupt-check.XXXXXX")
# Own session, so that the group signal reaches only this run.
NX_DAEMON=false setsid npx nx run "cluster-e2e:$target_name" "${NX_ARGS:---output-style=stream}" </dev/null >"$log" 2>&1 &
top=$!
# The real-node run builds the image first: count from the cluster's creation.
SECONDS=0
name=""
while ((SECONDS < 900)) && [[ -z $name ]] && kill -0 "$top" 2>/dev/null; do
  name=$(grep -om1 'cluster it-[0-9]*: creating' "$log" | cut -d' ' -f2 | tr -d : || true)
  sleep 0.5
done
[[ -n $name ]] || { echo "no cluster started"; cat "$log"; exit 1; }
state=${TMPDIR:-/tmp}/shipyard-cluster-$name
before_netns=$(ip netns list | awk '{print $1}' | sort)
sleep "$after"
running=$(pgrep -fc "shipyard-cluster-$name/" || true)
echo "after $after s: cluster $name has $running processes; sending SIG$signal to $target"
case $target in
  npx) kill "-$signal" "$top" ;;
  nx) kill "-$signal" "$(pgrep -f -P "$(pgrep -P "$top" | head -1)" 'nx run cluster-e2e:e2e' | head -1)" ;;
  group) kill "-$signal" -- "-$top" ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
SECONDS=0
while ((SECONDS < 120)); do
  if ! kill -0 "$top" 2>/dev/null &&
    ! pgrep -f "shipyard-cluster-$name/|cluster.sh (run|_watch) $name|jest.(e2e|nodes).config" >/dev/null; then
    break
  fi
  sleep 0.5
done
echo "everything of the run exited within $SECONDS s"
echo "--- last lines of the run's output"
tail -25 "$log" | sed 's/^/  /'
leftovers=0
show() { # show TITLE OUTPUT: prints it, counts it as left over unless empty
  echo "--- $1"
  if [[ -n $2 ]]; then echo "$2"; leftovers=$((leftovers + 1)); else echo "(nothing)"; fi
}
# Only this run's: other clusters (a parallel run) may be up meanwhile.
show "processes of the cluster: pgrep -fa '$state/'" "$(pgrep -fa "$state/" || true)"
show "listening ports of cluster processes" "$(ss -Hltnp | grep -E 'etcd|kube-|kwok|containerd' || true)"
show "the cluster's state dir" "$(ls -d "$state" 2>/dev/null || true)"
show "mounts under the state dir" "$(grep -F "$state/" /proc/self/mountinfo || true)"
show "cgroups of the cluster's nodes" "$(ls -d /sys/fs/cgroup/*/shipyard-"$name"-* 2>/dev/null || true)"
show "network namespaces that appeared (the cluster's, CNI's cni-*)" \
  "$(comm -13 <(echo "$before_netns") <(ip netns list | awk '{print $1}' | sort) | grep -E "^(shipyard-$name|cni-)" || true)"
show "CNI cache entries of the cluster's networks" "$(ls /var/lib/cni/results 2>/dev/null | grep "^shipyard-$name-" || true)"
show "containerd shim sockets (a parallel real-node run's show up here too)" "$(ls /run/containerd/s 2>/dev/null || true)"
show "iptables chains of Kubernetes or CNI in the host namespace" "$(iptables-save 2>/dev/null | grep -E '^:(KUBE|CNI)-' || true)"
rm -f "$log"
((leftovers == 0))
