#!/usr/bin/env bash
# Shows that killing the integration run midway leaves no cluster process behind.
#   interrupt-check.sh [--signal TERM|INT|HUP|KILL] [--after SECONDS] [--target npx|nx|group]
# Starts `npx nx run cluster-e2e:e2e`, sends the signal after SECONDS (default TERM after 20 s) to the npx
# process (default), to the nx process, or to the whole process group (what Ctrl-C does in a terminal), then
# waits for everything of that run to exit and prints `pgrep -fa 'kube-apiserver|etcd|kwok'`.
# NX_ARGS replaces the default `--output-style=stream` (which shows the run's own output in the log).
set -euo pipefail

signal=TERM after=20 target=npx
while (($#)); do
  case $1 in
    --signal) signal=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
log=$(mktemp "${TMPDIR:-/tmp}/interrupt-check.XXXXXX")
# Own session, so that the group signal reaches only this run.
NX_DAEMON=false setsid npx nx run cluster-e2e:e2e "${NX_ARGS:---output-style=stream}" </dev/null >"$log" 2>&1 &
top=$!
sleep "$after"
name=$(grep -om1 'cluster it-[0-9]*: creating' "$log" | cut -d' ' -f2 | tr -d : || true)
[[ -n $name ]] || { echo "no cluster started within $after s"; cat "$log"; exit 1; }
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
    ! pgrep -f "shipyard-cluster-$name/|cluster.sh (run|_watch) $name|jest.e2e.config" >/dev/null; then
    break
  fi
  sleep 0.5
done
echo "everything of the run exited within $SECONDS s"
echo "--- last lines of the run's output"
tail -25 "$log" | sed 's/^/  /'
echo "--- pgrep -fa 'kube-apiserver|etcd|kwok'"
left=$(pgrep -fa 'kube-apiserver|etcd|kwok' || true)
echo "${left:-(nothing)}"
echo "--- listening ports of the cluster's processes, its state dir"
ss -Hltnp | grep -E 'etcd|kube-|kwok' || echo "(none)"
ls -d "${TMPDIR:-/tmp}/shipyard-cluster-$name" 2>/dev/null || echo "(removed)"
rm -f "$log"
[[ -z $left ]]
