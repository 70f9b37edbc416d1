#!/usr/bin/env bash
# `nx run k8s-manifests:helm-lint`: helm lint --strict of every synthesized chart, with throwaway
# secrets (the chart refuses to lint without them, by design) and rendered for Kubernetes 1.28.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
tools/toolchain/ensure.sh helm >&2
# shellcheck source=../../../tools/toolchain/env.sh
source tools/toolchain/env.sh helm

charts=(dist/k8s-manifests/*/Chart.yaml)
[[ -e ${charts[0]} ]] || { echo "helm-lint: no chart in dist/k8s-manifests: run \`npx nx run k8s-manifests:synth\`" >&2; exit 1; }

values=$(mktemp)
trap 'rm -f "$values"' EXIT
# Keys from the chart's own schema, values random: nothing to keep, nothing to leak.
for chart in "${charts[@]}"; do
  dir=$(dirname "$chart")
  node -e '
    const { randomBytes } = require("node:crypto");
    const schema = require(require("node:path").resolve(process.argv[1], "values.schema.json"));
    const secrets = Object.fromEntries(schema.properties.secrets.required.map((k) => [k, randomBytes(24).toString("base64url")]));
    process.stdout.write(JSON.stringify({ secrets }));
  ' "$dir" > "$values"
  echo "helm-lint: $dir"
  helm lint --strict --kube-version 1.28.0 "$dir" -f "$values"
done
