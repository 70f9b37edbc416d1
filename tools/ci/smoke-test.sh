#!/usr/bin/env bash
# Smoke-tests a deployed environment: GET /readyz answers 200, and GET /config contains none of the values
# stored in the cluster's Secret. Never prints a secret value.
#   tools/ci/smoke-test.sh ENV [--platform=aws]
# Needs kubectl with KUBECONFIG for the cluster, curl, node, and the synthesized contract (dist/k8s-manifests/ENV).
# The service is reached through `kubectl port-forward`, or at SMOKE_URL when set (e.g. `minikube service --url`).
# With --platform=aws the cluster is terraform/aws's EKS (tools/ci/platform.sh connect: KUBECONFIG is not used) and the
# URL its api_url output (https://<domain>, through the ALB and its certificate) unless SMOKE_URL is set;
# /readyz has SMOKE_READY_TIMEOUT seconds (default 60) to answer 200.
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

[[ $# -eq 1 || ( $# -eq 2 && $2 == --platform=aws ) ]] || die "usage: tools/ci/smoke-test.sh ENV [--platform=aws]"
env=$1 platform=${2:-}
check_env_name "$env"
need kubectl "install kubectl"
need curl "install curl"
namespace=$(contract_field "$env" namespace)
service=$(contract_field "$env" service_name)
secret=$(contract_field "$env" secret_name)
mapfile -t secret_keys < <(contract_field "$env" secret_keys)

work=$(mktemp -d)
chmod 700 "$work"
forwarder=""
trap '[[ -z $forwarder ]] || kill "$forwarder" 2>/dev/null; rm -rf "$work"' EXIT

url=${SMOKE_URL:-}
if [[ -n $platform ]]; then
  "$REPO_ROOT/tools/ci/platform.sh" connect "$env" "$work/platform"
  export KUBECONFIG=$work/platform/kubeconfig
  [[ -n $url ]] || url=$(node -p 'require(process.argv[1]).api_url.value' "$work/platform/outputs.json")
fi
if [[ -z $url ]]; then
  port=$(kubectl -n "$namespace" get service "$service" -o 'jsonpath={.spec.ports[0].port}')
  echo "+ kubectl -n $namespace port-forward service/$service :$port"
  : >"$work/forward.log" # exists before the background job opens it, so the first read cannot fail
  kubectl -n "$namespace" port-forward "service/$service" ":$port" >"$work/forward.log" 2>&1 &
  forwarder=$!
  for _ in $(seq 50); do
    local_port=$(sed -nE 's/^Forwarding from 127\.0\.0\.1:([0-9]+) .*/\1/p' "$work/forward.log" | head -1)
    [[ -n $local_port ]] && break
    kill -0 "$forwarder" 2>/dev/null || die "port-forward to service/$service in $namespace failed: $(cat "$work/forward.log")"
    sleep 0.2
  done
  [[ -n $local_port ]] || die "port-forward to service/$service in $namespace did not start within 10 s"
  url=http://127.0.0.1:$local_port
fi

say "GET $url/readyz"
ready_timeout=${SMOKE_READY_TIMEOUT:-60}
deadline=$((SECONDS + ready_timeout))
while :; do
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/readyz" || true)
  [[ $status == 200 || $SECONDS -ge $deadline ]] && break
  sleep 2
done
[[ $status == 200 ]] || die "$url/readyz answered ${status:-nothing} for $ready_timeout s, expected 200 (see kubectl -n $namespace get pods)"
say "/readyz: 200"

say "GET $url/config"
curl -fsS --max-time 10 -o "$work/config.json" "$url/config" || die "$url/config failed"

say "checking /config against the values of secret $namespace/$secret (${secret_keys[*]})"
for key in "${secret_keys[@]}"; do
  kubectl -n "$namespace" get secret "$secret" -o "jsonpath={.data.$key}" | base64 -d >"$work/value"
  [[ -s $work/value ]] || die "secret $namespace/$secret has no value for $key"
  # A JSON body escapes quotes and backslashes: look for the value as written and as JSON writes it.
  node -e 'const v = require("fs").readFileSync(process.argv[1], "utf8"); process.stdout.write(`${v}\n${JSON.stringify(v).slice(1, -1)}\n`)' \
    "$work/value" >"$work/patterns"
  if grep -qF -f "$work/patterns" "$work/config.json"; then
    die "/config returns the value of secret $key: the API must show only that it is set"
  fi
done
say "/config shows none of the ${#secret_keys[@]} secret values: $env passed"
