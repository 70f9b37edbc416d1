#!/usr/bin/env bash
# `nx run k8s-manifests:helm-lint`: helm lint --strict of every synthesized chart, with throwaway
# secrets (the chart refuses to lint without them, by design) and rendered for Kubernetes 1.28; then the
# IRSA role value: a malformed ARN must fail naming the value, a valid one must reach the ServiceAccount;
# and, where the chart offers it, secretsSource=aws-secrets-manager (no secret value, an ARN per key).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
tools/toolchain/ensure.sh helm >&2
# shellcheck source=../../../tools/toolchain/env.sh
source tools/toolchain/env.sh helm

charts=(dist/k8s-manifests/*/Chart.yaml)
[[ -e ${charts[0]} ]] || { echo "helm-lint: no chart in dist/k8s-manifests: run \`npx nx run k8s-manifests:synth\`" >&2; exit 1; }

values=$(mktemp)
out=$(mktemp)
trap 'rm -f "$values" "$out"' EXIT
fail() { echo "helm-lint: FAILED: $*" >&2; exit 1; }
good_role=arn:aws:iam::123456789012:role/shipyard-api
bad_role=arn:aws:iam::12345:role/shipyard-api # an account id of 5 digits
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

  if helm lint --strict --kube-version 1.28.0 "$dir" -f "$values" --set "serviceAccount.roleArn=$bad_role" >"$out" 2>&1; then
    fail "$dir: helm lint accepted serviceAccount.roleArn=$bad_role"
  fi
  grep -qF "at '/serviceAccount/roleArn': '$bad_role' does not match pattern" "$out" ||
    { cat "$out" >&2; fail "$dir: a malformed role ARN was refused without naming /serviceAccount/roleArn and the value"; }
  echo "helm-lint: $dir refuses serviceAccount.roleArn=$bad_role, naming it"
  helm lint --strict --kube-version 1.28.0 "$dir" -f "$values" --set "serviceAccount.roleArn=$good_role" >"$out" 2>&1 ||
    { cat "$out" >&2; fail "$dir: helm lint refused serviceAccount.roleArn=$good_role"; }
  helm template x "$dir" -f "$values" --set "serviceAccount.roleArn=$good_role" --show-only templates/serviceaccount.yaml >"$out"
  grep -qF "{\"eks.amazonaws.com/role-arn\": \"$good_role\"}" "$out" ||
    { cat "$out" >&2; fail "$dir: the ServiceAccount does not carry eks.amazonaws.com/role-arn=$good_role"; }
  echo "helm-lint: $dir with serviceAccount.roleArn=$good_role: lint passes, the ServiceAccount carries it"

  if jq -e '.properties.secretsSource.enum | index("aws-secrets-manager")' "$dir/values.schema.json" >/dev/null; then
    node -e '
      const schema = require(require("node:path").resolve(process.argv[1], "values.schema.json"));
      const keys = schema.properties.secrets.required;
      const arn = (k) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard/${k}-AbCdEf`;
      process.stdout.write(JSON.stringify({ secretsSource: "aws-secrets-manager", serviceAccount: { roleArn: process.argv[2] },
        awsSecretsManager: { region: "eu-west-1", secretIds: Object.fromEntries(keys.map((k) => [k, arn(k)])) } }));
    ' "$dir" "$good_role" >"$values"
    echo "helm-lint: $dir with secretsSource=aws-secrets-manager"
    helm lint --strict --kube-version 1.28.0 "$dir" -f "$values"
  fi
done
