#!/usr/bin/env bash
# `npx nx run terraform:test`: the provider-free part of terraform/ (see README, "What CI checks"): `terraform test`
# of modules/release and modules/workspace_guard, and the messages a user reads for a bad env and for an env
# applied to another env's state. Needs `npx nx run k8s-manifests:synth` first. The real-provider apply is in
# tools/cluster-e2e (terraform.e2e.ts); fmt, validate, TFLint and checkov are in lint.sh.
set -euo pipefail

TF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TF_DIR}/.." && pwd)"
MODULE_DIR="${TF_DIR}/modules/release"
GUARD_DIR="${TF_DIR}/modules/workspace_guard"
MANIFESTS_DIR="${REPO_ROOT}/dist/k8s-manifests"

started_at=$(date +%s)
stage() { printf '==> [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

stage "preflight"
command -v terraform >/dev/null || fail "terraform is not on PATH"
command -v jq >/dev/null || fail "jq is not on PATH"
[[ -f "${MANIFESTS_DIR}/environments.json" ]] ||
  fail "${MANIFESTS_DIR}/environments.json is missing: run \`npx nx run k8s-manifests:synth\` first"

# An empty CLI config: no credentials, no provider installation settings, nothing looked up.
work_dir=$(mktemp -d)
trap 'rm -rf "${work_dir}"' EXIT
export TF_CLI_CONFIG_FILE="${work_dir}/terraform.rc"
: >"${TF_CLI_CONFIG_FILE}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

# In place (the tests read dist/ by relative path); these modules need no provider, so init writes no lock file.
for dir in "${MODULE_DIR}" "${GUARD_DIR}"; do
  stage "terraform test (${dir#"${REPO_ROOT}"/}, no providers)"
  terraform -chdir="${dir}" init -backend=false -input=false -no-color >"${work_dir}/init.log" ||
    { cat "${work_dir}/init.log" >&2; fail "terraform init of ${dir} failed"; }
  terraform -chdir="${dir}" test -no-color
done

# expect_failures in the tests proves *that* a bad env is refused; these prove *what* the user reads.
# Usage: expect_refusal <module dir> <wanted text> <plan args...>
expect_refusal() {
  local dir=$1 want=$2 out
  shift 2
  if out=$(terraform -chdir="${dir}" plan -no-color -input=false "$@" 2>&1); then
    fail "plan $* succeeded; expected it to stop with: ${want}"
  fi
  out=$(tr -s ' \n' ' ' <<<"${out}") # Terraform wraps long messages
  [[ ${out} == *"${want}"* ]] || fail "plan $* failed without saying '${want}':"$'\n'"${out}"
  echo "   refused: plan $* -> ...${want}..."
}

stage "a bad env stops the plan with a message naming the fix"
allowed=$(jq -r '.environments | join(", ")' "${MANIFESTS_DIR}/environments.json")
expect_refusal "${MODULE_DIR}" "env \"qa\" is not a synthesized environment; allowed: ${allowed}" \
  -var env=qa -var "manifests_dir=${MANIFESTS_DIR}"
expect_refusal "${MODULE_DIR}" "run \`npx nx run k8s-manifests:synth\` first" \
  -var env=qa -var "manifests_dir=${work_dir}/not-synthesized"
expect_refusal "${MODULE_DIR}" "run \`npx nx run k8s-manifests:synth --env=unsynthesized\` first" \
  -var env=unsynthesized -var "manifests_dir=${MODULE_DIR}/tests/fixtures/stale"

stage "secrets from Secrets Manager: refused where the contract does not offer them, and bad inputs named"
arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets"
sm_vars=(-var secrets_source=aws-secrets-manager -var aws_region=eu-west-1
  -var app_role_arn=arn:aws:iam::123456789012:role/shipyard-prod-api)
expect_refusal "${MODULE_DIR}" 'secrets_source "aws-secrets-manager" is not offered by env "dev": its contract (secret_sources in' \
  -var env=dev -var "manifests_dir=${MANIFESTS_DIR}" "${sm_vars[@]}" \
  -var "app_secret_arns={SECRET_KEY=\"${arn}/SECRET_KEY-AbCdEf\", DB_PASSWORD=\"${arn}/DB_PASSWORD-AbCdEf\"}"
expect_refusal "${MODULE_DIR}" 'app_secret_arns has keys that are not secret keys of the prod chart: API_TOKEN. Its keys must be exactly' \
  -var env=prod -var "manifests_dir=${MANIFESTS_DIR}" "${sm_vars[@]}" \
  -var "app_secret_arns={SECRET_KEY=\"${arn}/SECRET_KEY-AbCdEf\", DB_PASSWORD=\"${arn}/DB_PASSWORD-AbCdEf\", API_TOKEN=\"${arn}/API_TOKEN-AbCdEf\"}"
expect_refusal "${MODULE_DIR}" 'app_role_arn must be an IAM role ARN, arn:aws:iam::<12-digit account id>:role/<name> (got "arn:aws:iam::12345:role/api")' \
  -var env=prod -var "manifests_dir=${MANIFESTS_DIR}" -var app_role_arn=arn:aws:iam::12345:role/api
expect_refusal "${MODULE_DIR}" 'app_secret_arns is required with secrets_source = "aws-secrets-manager"' \
  -var env=prod -var "manifests_dir=${MANIFESTS_DIR}" "${sm_vars[@]}"

stage "an env applied to another env's state (workspace) is refused with a message naming the fix"
expect_refusal "${GUARD_DIR}" 'belongs to env "dev", not "prod": applying would replace its release and secrets. Run `terraform workspace select -or-create prod`' \
  -var env=prod -var workspace=dev
expect_refusal "${GUARD_DIR}" 'The "default" workspace holds no environment: each environment has its own state. Run `terraform workspace select -or-create dev`' \
  -var env=dev -var workspace=default

stage "all terraform tests passed in $(($(date +%s) - started_at))s"
