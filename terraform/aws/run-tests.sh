#!/usr/bin/env bash
# Checks terraform/aws and applies + destroys the whole platform against a local moto server.
# The aws provider comes from the registry, or from a local mirror when it cannot be reached
# (tools/toolchain/terraform-cli-config.sh); moto comes from the pinned tool requirements and listens on loopback.
set -euo pipefail

MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${MODULE_DIR}/../.." && pwd)"
CONTRACT="${REPO_ROOT}/dist/k8s-manifests/prod/contract.json"
WORK_DIR="${MODULE_DIR}/.terraform-ci"

started_at=$(date +%s)
stage() { printf '==> [%4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

stage "preflight"
command -v terraform >/dev/null || fail "terraform is not on PATH"
[[ -f "${CONTRACT}" ]] || fail "deploy contract ${CONTRACT} is missing; run \`npx nx run k8s-manifests:synth --env=prod\` first"
PYTOOLS="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths pytools)" ||
  fail "moto (pinned in tools/toolchain/requirements.txt) is not installed: run tools/toolchain/ensure.sh pytools"

mkdir -p "${WORK_DIR}"
export TF_CLI_CONFIG_FILE="${WORK_DIR}/terraform.rc"
"${REPO_ROOT}/tools/toolchain/terraform-cli-config.sh" "${TF_CLI_CONFIG_FILE}" "${REPO_ROOT}/terraform/aws"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
cd "${MODULE_DIR}"

stage "terraform fmt -check"
terraform fmt -check -recursive -diff

stage "terraform init (providers: see the terraform-cli-config line above)"
terraform init -backend=false -input=false -no-color >"${WORK_DIR}/init.log" || { cat "${WORK_DIR}/init.log" >&2; fail "terraform init failed"; }

stage "terraform validate"
terraform validate -no-color

stage "tflint (bundled terraform ruleset, preset all; module and test fixtures)"
TFLINT="$("${REPO_ROOT}/tools/toolchain/ensure.sh" --paths tflint)/tflint" ||
  fail "TFLint is not built: run tools/toolchain/ensure.sh tflint"
"${TFLINT}" --chdir="${MODULE_DIR}" --recursive --config="${MODULE_DIR}/.tflint.hcl" --format=compact

stage "checkov (terraform framework; every skip is inline with its reason)"
"${PYTOOLS}/checkov" -d "${MODULE_DIR}" --framework terraform --quiet --compact --skip-download

stage "starting moto_server on loopback"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
endpoint="http://127.0.0.1:${port}"
# ACM certificates count as validated right away instead of after moto's default 60 s;
# the AWS managed IAM policies are loaded so that attaching them by ARN works.
MOTO_ACM_VALIDATION_WAIT=0 MOTO_IAM_LOAD_MANAGED_POLICIES=true \
  "${PYTOOLS}/moto_server" -H 127.0.0.1 -p "${port}" >"${WORK_DIR}/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "${moto_pid}" 2>/dev/null || true; wait "${moto_pid}" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "${endpoint}/moto-api/" >/dev/null 2>&1 && break
  kill -0 "${moto_pid}" 2>/dev/null || { cat "${WORK_DIR}/moto.log" >&2; fail "moto_server exited during start-up"; }
  sleep 0.2
done
curl -fsS "${endpoint}/moto-api/" >/dev/null || fail "moto_server did not answer on ${endpoint}"
# Lambda without Docker: invocations (the rotation's testSecret step) succeed without running code.
curl -fsS -X POST "${endpoint}/moto-api/config" -H 'Content-Type: application/json' \
  -d '{"lambda": {"use_docker": false}}' >/dev/null

stage "terraform test against moto at ${endpoint} (apply, assert, destroy)"
test_started=$(date +%s)
# A var file, not -var: Terraform 1.11 does not pass -var values that no module declares to test-file providers.
printf 'moto_endpoint = "%s"\n' "${endpoint}" >"${WORK_DIR}/moto.tfvars"
# Each line is stamped with the seconds since the test started, so the apply and destroy times are visible.
terraform test -no-color -var-file="${WORK_DIR}/moto.tfvars" "$@" 2>&1 |
  while IFS= read -r line; do printf '    [%4ss] %s\n' "$(( $(date +%s) - test_started ))" "${line}"; done
stage "terraform test took $(( $(date +%s) - test_started ))s"

stage "all checks passed in $(( $(date +%s) - started_at ))s"
