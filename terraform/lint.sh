#!/usr/bin/env bash
# `npx nx run terraform:lint`: fmt, validate, TFLint (bundled terraform ruleset, preset "all") and checkov for
# terraform/ (terraform/aws is linted by its own run-tests.sh). validate needs the helm and random providers:
# from the registry, or the local mirror tools/toolchain/terraform-cli-config.sh configures when it is unreachable.
set -euo pipefail

TF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${TF_DIR}/.." && pwd)"

started_at=$(date +%s)
stage() { printf '==> [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

stage "preflight"
command -v terraform >/dev/null || fail "terraform is not on PATH"
TFLINT="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths tflint)/tflint" ||
  fail "TFLint is not built: run tools/toolchain/ensure.sh tflint"
CHECKOV="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths pytools)/checkov" ||
  fail "checkov is not built: run tools/toolchain/ensure.sh pytools"

work_dir=$(mktemp -d)
trap 'rm -rf "${work_dir}"' EXIT
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

# Provider installation for validate: the registry, or the local mirrors when it cannot be reached.
export TF_CLI_CONFIG_FILE="${work_dir}/terraform.rc"
"${REPO_ROOT}/tools/toolchain/terraform-cli-config.sh" "${TF_CLI_CONFIG_FILE}"

stage "terraform fmt -check -recursive terraform"
terraform -chdir="${REPO_ROOT}" fmt -check -recursive -diff terraform

stage "terraform validate (root module in a copy, so no .terraform or lock file lands in the checkout)"
mkdir "${work_dir}/terraform"
(cd "${TF_DIR}" && tar -cf - --exclude=./aws --exclude='.terraform*' --exclude='*.tfstate*' --exclude='terraform.tfstate.d' .) |
  tar -xf - -C "${work_dir}/terraform"
for dir in . modules/release modules/workspace_guard; do
  terraform -chdir="${work_dir}/terraform/${dir}" init -backend=false -input=false -no-color >"${work_dir}/init.log" ||
    { cat "${work_dir}/init.log" >&2; fail "terraform init of terraform/${dir} failed"; }
  terraform -chdir="${work_dir}/terraform/${dir}" validate -no-color
done

stage "terraform test of the root module (mocked providers; in workspace prod, as the workspace guard wants)"
terraform -chdir="${work_dir}/terraform" workspace new -no-color prod >/dev/null
terraform -chdir="${work_dir}/terraform" test -no-color -var "manifests_dir=${REPO_ROOT}/dist/k8s-manifests"

stage "tflint (root module and child modules)"
"${TFLINT}" --version | head -n 2
for dir in "${TF_DIR}" "${TF_DIR}/modules/release" "${TF_DIR}/modules/workspace_guard"; do
  "${TFLINT}" --chdir="${dir}" --config="${TF_DIR}/.tflint.hcl" --format=compact
done

stage "checkov (terraform framework)"
# --skip-download: offline, no Prisma Cloud guideline lookup.
"${CHECKOV}" -d "${TF_DIR}" --framework terraform --quiet --compact --skip-download \
  --skip-path "${TF_DIR}/aws" --skip-path '\.terraform'

stage "terraform lint passed in $(($(date +%s) - started_at))s"
