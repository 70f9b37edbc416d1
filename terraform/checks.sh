#!/usr/bin/env bash
# What CI proves about terraform/ without a cluster or the helm/random providers (see README, "What CI checks"):
# fmt, `terraform test` of the provider-free modules/release, the error messages a user sees for a bad env,
# TFLint (bundled terraform ruleset, preset "all") and checkov. Needs `npx nx run k8s-manifests:synth` first.
set -euo pipefail

TF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TF_DIR}/.." && pwd)"
MODULE_DIR="${TF_DIR}/modules/release"
MANIFESTS_DIR="${REPO_ROOT}/dist/k8s-manifests"

started_at=$(date +%s)
stage() { printf '==> [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

stage "preflight"
command -v terraform >/dev/null || fail "terraform is not on PATH"
command -v jq >/dev/null || fail "jq is not on PATH"
[[ -f "${MANIFESTS_DIR}/environments.json" ]] ||
  fail "${MANIFESTS_DIR}/environments.json is missing: run \`npx nx run k8s-manifests:synth\` first"
TFLINT="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths tflint)/tflint" ||
  fail "TFLint is not built: run tools/toolchain/ensure.sh tflint"
CHECKOV="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths pytools)/checkov" ||
  fail "checkov is not built: run tools/toolchain/ensure.sh pytools"

# An empty CLI config: no credentials, no provider installation settings, nothing looked up.
work_dir=$(mktemp -d)
trap 'rm -rf "${work_dir}"' EXIT
export TF_CLI_CONFIG_FILE="${work_dir}/terraform.rc"
: >"${TF_CLI_CONFIG_FILE}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

stage "terraform fmt -check -recursive terraform"
terraform -chdir="${REPO_ROOT}" fmt -check -recursive -diff terraform

stage "terraform init -backend=false (modules/release, no providers)"
terraform -chdir="${MODULE_DIR}" init -backend=false -input=false -no-color >"${work_dir}/init.log" ||
  { cat "${work_dir}/init.log" >&2; fail "terraform init of modules/release failed"; }

stage "terraform test (modules/release)"
terraform -chdir="${MODULE_DIR}" test -no-color

# expect_failures in the tests proves *that* a bad env is refused; these prove *what* the user reads.
# Usage: expect_refusal <wanted text> <plan args...>
expect_refusal() {
  local want=$1 out
  shift
  if out=$(terraform -chdir="${MODULE_DIR}" plan -no-color -input=false "$@" 2>&1); then
    fail "plan $* succeeded; expected it to stop with: ${want}"
  fi
  out=$(tr -s ' \n' ' ' <<<"${out}") # Terraform wraps long messages
  [[ ${out} == *"${want}"* ]] || fail "plan $* failed without saying '${want}':"$'\n'"${out}"
  echo "   refused: plan $* -> ...${want}..."
}

stage "a bad env stops the plan with a message naming the fix"
allowed=$(jq -r '.environments | join(", ")' "${MANIFESTS_DIR}/environments.json")
expect_refusal "env \"qa\" is not a synthesized environment; allowed: ${allowed}" \
  -var env=qa -var "manifests_dir=${MANIFESTS_DIR}"
expect_refusal "run \`npx nx run k8s-manifests:synth\` first" \
  -var env=qa -var "manifests_dir=${work_dir}/not-synthesized"
expect_refusal "run \`npx nx run k8s-manifests:synth --env=unsynthesized\` first" \
  -var env=unsynthesized -var "manifests_dir=${MODULE_DIR}/tests/fixtures/stale"

# terraform/aws is linted and scanned by its own pipeline (terraform/aws/run-tests.sh), not here.
stage "tflint (root module, then modules/release)"
"${TFLINT}" --version | head -n 2
for dir in "${TF_DIR}" "${MODULE_DIR}"; do
  "${TFLINT}" --chdir="${dir}" --config="${TF_DIR}/.tflint.hcl" --format=compact
done

stage "checkov (terraform framework)"
# --skip-download: offline, no Prisma Cloud guideline lookup.
"${CHECKOV}" -d "${TF_DIR}" --framework terraform --quiet --compact --skip-download \
  --skip-path "${TF_DIR}/aws" --skip-path '\.terraform'

stage "all terraform checks passed in $(($(date +%s) - started_at))s"
