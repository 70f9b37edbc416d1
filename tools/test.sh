#!/usr/bin/env bash
# `npm test`: every test, cheapest first, one line per stage. Stops at the first failing stage.
#
# The cluster suites come last, and the tools only they use (`ensure.sh late`: External Secrets Operator, kubelet,
# crictl, the pause image, metrics-server, kube-router; about 10 minutes of compiling on two cores with empty
# caches) are built in the background, at the lowest CPU priority, while the earlier stages run: those leave a
# core idle for minutes (the image build waits on npm, the suites on their clusters). A suite that needs one of
# them before it is built waits for it (ensure.sh's lock per tool), so the order of stages stays free.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

started=$SECONDS
stage() { printf '\n==> npm test [%4ds] %s\n' "$((SECONDS - started))" "$*"; }
late="" late_log=""
cleanup() {
  local status=$?
  if [[ -n $late ]]; then
    kill -TERM -- "-$late" 2>/dev/null || true
    wait "$late" 2>/dev/null || true
  fi
  [[ -z $late_log ]] || rm -f "$late_log"
  ((status == 0)) || stage "FAILED (exit $status) in the stage above"
}
trap cleanup EXIT

stage "prerequisites (tools/toolchain/preflight.sh)"
bash tools/toolchain/preflight.sh

stage "toolchain for the lint, unit, image and README tests (tools/toolchain/ensure.sh early)"
tools/toolchain/ensure.sh early

late_log=$(mktemp "${TMPDIR:-/tmp}/shipyard-toolchain-late.XXXXXX")
stage "toolchain for the cluster suites, in the background (ensure.sh late; log: $late_log)"
# Only idle CPU: nice 19 alone would not do where the kernel groups processes by session (autogroup, common on
# desktops and VMs), since tasks the tests start in sessions of their own would share the CPU with this whole
# session. So it runs in a session of its own whose group has the lowest priority (and it is a process group of
# its own, so that cleanup stops everything it started).
setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null || true; exec nice -n 19 "$0" late' tools/toolchain/ensure.sh \
  >"$late_log" 2>&1 </dev/null &
late=$!

stage "lint, unit, artifact, image, chart and AWS tests (nx run-many)"
npx nx run-many -t lint test test-artifact test-image helm-lint test-aws

stage "the README's commands (tools/quickstart/test.sh)"
bash tools/quickstart/test.sh

stage "the pipeline (nx run pipeline-e2e:e2e)"
npx nx run pipeline-e2e:e2e

stage "the deployment on simulated nodes (nx run cluster-e2e:e2e)"
npx nx run cluster-e2e:e2e

stage "waiting for the background toolchain (ensure.sh late)"
status=0
wait "$late" || status=$?
late=""
grep -E '^==> toolchain: .*(done in|cached|meanwhile)' "$late_log" || true
if ((status != 0)); then
  tail -n 40 "$late_log" >&2
  echo "==> npm test: building the cluster suites' tools failed (exit $status); run tools/toolchain/ensure.sh late to see why" >&2
  exit "$status"
fi

stage "real nodes (nx run cluster-e2e:e2e-nodes)"
npx nx run cluster-e2e:e2e-nodes

stage "all tests passed"
