#!/usr/bin/env bash
# The integration suite: a two-node control plane on loopback around Jest, always torn down.
# Run it as `npx nx run cluster-e2e:e2e` (synthesizes the charts first); extra arguments go to Jest.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"

[[ -f dist/k8s-manifests/environments.json ]] ||
  { echo "==> integration: no synthesized charts: run \`npx nx run cluster-e2e:e2e\` (or k8s-manifests:synth first)" >&2; exit 1; }
command -v terraform >/dev/null || { echo "==> integration: terraform is not on PATH" >&2; exit 1; }

tools/toolchain/ensure.sh helm kwok etcd k8s kubectl crds
# external-secrets.e2e.ts: ESO's controller, moto (pytools) and the image's Node.js for the secret restarter.
tools/toolchain/ensure.sh eso pytools node22
# terraform.e2e.ts's providers: the registry, or local mirrors (built now, before a cluster is started); with
# neither this stops here, naming both ways.
tf_cli_config=$(mktemp)
tools/toolchain/terraform-cli-config.sh "$tf_cli_config"
rm -f "$tf_cli_config"
# shellcheck source=/dev/null
source tools/toolchain/env.sh helm kwok etcd k8s kubectl

# A cluster of an earlier run whose process is gone (killed with its watchdog, machine reset) is removed first.
for dir in "${TMPDIR:-/tmp}"/shipyard-cluster-it-*; do
  [[ -d $dir ]] || continue
  pid=${dir##*-it-}
  if [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then tools/cluster-e2e/cluster.sh down "it-$pid" || true; fi
done

# One cluster per run, named after this process, so parallel runs do not meet. exec: a signal sent to this
# script reaches the wrapper, which stops Jest and tears the cluster down.
exec tools/cluster-e2e/cluster.sh run "it-$$" -- \
  node node_modules/jest/bin/jest.js --config tools/cluster-e2e/jest.e2e.config.cts --runInBand "$@"
