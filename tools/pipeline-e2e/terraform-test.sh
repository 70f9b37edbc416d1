#!/usr/bin/env bash
# Terraform facts the pipeline relies on. Prints ok/FAIL per behaviour and "N passed, N failed".
#  1. One Terraform version requirement: every required_version and every "Terraform >= X" a script or README
#     states are the same.
#  2. The prod plan that `tools/ci/deploy.sh plan` saves applies from any workspace path: made in one checkout
#     path with the real providers, it names no path of that checkout once the checkout has moved (Jenkins runs
#     plan and apply on agents whose workspace paths differ).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }
sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT

name='one Terraform version requirement in every versions.tf, script and README'
required=$(grep -rhoE --include='*.tf' --exclude-dir=.terraform 'required_version *= *"[^"]*"' "$ROOT/terraform" |
  sed -E 's/.*"(.*)"/\1/' | sort -u)
stated=$(grep -rhoE --exclude-dir=node_modules --exclude-dir=.terraform 'Terraform >= ?[0-9][0-9.]*' \
  "$ROOT/README.md" "$ROOT/terraform" "$ROOT/tools/ci" "$ROOT/tools/pipeline-e2e/README.md" "$ROOT/tools/cluster-e2e/README.md" |
  sed -E 's/Terraform >= ?/>= /' | sort -u)
if [[ $(wc -l <<<"$required") -eq 1 && -n $required && ( -z $stated || $stated == "$required" ) ]]; then
  ok "$name ($required)"
else
  fail "$name: required_version: $(paste -sd' ' <<<"$required"); stated: $(paste -sd' ' <<<"$stated")"
fi

name='deploy.sh plan prod: the saved plan names no path of the checkout it was made in'
if [[ ! -f $ROOT/dist/k8s-manifests/environments.json ]]; then
  fail "$name: dist/k8s-manifests is missing: run \`npx nx run k8s-manifests:synth\` first"
else
  # A checkout with what deploy.sh needs; it moves between plan and show, as between two agents.
  made=$sandbox/agent-1/workspace/shipyard moved=$sandbox/agent-2/ws/shipyard_main
  mkdir -p "$made/apps/api" "$made/tools" "$(dirname "$moved")"
  cp -r "$ROOT/tools/ci" "$made/tools/ci"
  (cd "$ROOT/terraform" && tar -cf - --exclude=./aws --exclude='.terraform*' --exclude='*.tfstate*' --exclude='terraform.tfstate.d' .) |
    (mkdir -p "$made/terraform" && tar -xf - -C "$made/terraform")
  cp -r "$ROOT/dist" "$made/dist" && rm -rf "$made/dist/terraform"
  cp "$ROOT/apps/api/package.json" "$made/apps/api/"
  git -C "$made" init -q && git -C "$made" add -A && git -C "$made" -c user.name=t -c user.email=t@t commit -qm t
  # No cluster is reached: planning a new release reads only the chart.
  printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n' >"$sandbox/kubeconfig"
  export TF_CLI_CONFIG_FILE=$sandbox/terraform.rc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
  if ! "$ROOT/tools/toolchain/terraform-cli-config.sh" "$TF_CLI_CONFIG_FILE" >"$sandbox/out" 2>&1; then
    fail "$name: $(cat "$sandbox/out")"
  # Monitoring off: the kube-prometheus-stack chart cannot be downloaded on every machine that runs this.
  elif ! (cd "$made" && env -u JENKINS_URL -u TF_BACKEND_CONFIG KUBECONFIG="$sandbox/kubeconfig" KUBE_CONTEXT=c \
    TF_VAR_enable_monitoring=false \
    tools/ci/deploy.sh plan prod dist/terraform/prod.tfplan) >"$sandbox/out" 2>&1; then
    fail "$name: deploy.sh plan failed:"$'\n'"$(tail -n 30 "$sandbox/out")"
  else
    mv "$made" "$moved"
    if ! terraform -chdir="$moved/terraform" show -json ../dist/terraform/prod.tfplan >"$sandbox/plan.json" 2>"$sandbox/out"; then
      fail "$name: terraform show of the moved plan failed: $(cat "$sandbox/out")"
    elif grep -qF "$made" "$sandbox/plan.json" || grep -qF "$sandbox/agent-1" "$sandbox/plan.json"; then
      fail "$name: the plan records $(grep -oE "\"[^\"]*agent-1[^\"]*\"" "$sandbox/plan.json" | sort -u | head -3 | paste -sd' ')"
    elif ! chart=$(jq -er '.resource_changes[] | select(.address == "helm_release.app") | .change.after.chart' "$sandbox/plan.json") ||
      [[ $chart == /* || ! -f $moved/terraform/$chart/Chart.yaml ]]; then
      fail "$name: helm_release.app's chart is '${chart:-}', not a path relative to terraform/ that exists after the move"
    else
      ok "$name (chart $chart)"
    fi
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
