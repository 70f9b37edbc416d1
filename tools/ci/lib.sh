# shellcheck shell=bash
# Sourced by tools/ci/*.sh. Each command that changes something is printed before it runs,
# so a Jenkins log and a terminal show the same thing.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL_IMAGE_NAME=${LOCAL_IMAGE_NAME:-shipyard-api}

say() { echo "==> ${0##*/}: $*"; }
die() { echo "==> ${0##*/}: ERROR: $*" >&2; exit 1; }
run() { echo "+ $*"; "$@"; }
need() { command -v "$1" >/dev/null || die "'$1' is not on PATH: $2"; }
need_env() { [[ -n ${!1:-} ]] || die "$1 is not set: $2"; }

# <app version>-<short commit>, e.g. 0.1.0-1a2b3c4d: unique per commit, readable by a human.
image_tag() {
  local version commit
  version=$(node -p "require('$REPO_ROOT/apps/api/package.json').version")
  commit=$(git -C "$REPO_ROOT" rev-parse --short=8 HEAD)
  echo "$version-$commit"
}

# contract_field ENV FIELD: a value from the deploy contract that synth writes beside the chart.
contract_field() {
  local contract="$REPO_ROOT/dist/k8s-manifests/$1/contract.json"
  [[ -f $contract ]] || die "$contract is missing: run \`npx nx run k8s-manifests:synth --env=$1\` first"
  node -e 'const v = require(process.argv[1])[process.argv[2]];
    if (v === undefined) { console.error(`${process.argv[1]} has no "${process.argv[2]}"`); process.exit(1); }
    console.log(Array.isArray(v) ? v.join("\n") : v);' "$contract" "$2"
}

# The environments are those synth wrote (dist/k8s-manifests/environments.json), never a list typed here.
environments() {
  local list="$REPO_ROOT/dist/k8s-manifests/environments.json"
  [[ -f $list ]] || die "$list is missing: run \`npx nx run k8s-manifests:synth\` first"
  node -e 'console.log(require(process.argv[1]).environments.join("\n"))' "$list"
}

check_env_name() {
  local known
  known=$(environments) || exit 1
  grep -qxF -- "${1:-}" <<<"$known" ||
    die "unknown environment '${1:-}' (synthesized: $(paste -sd' ' <<<"$known"); from dist/k8s-manifests/environments.json)"
}

# minikube_has_image PROFILE IMAGE: minikube lists IMAGE (it prefixes docker.io/library/ to a bare name).
minikube_has_image() {
  local listed line
  listed=$(minikube -p "$1" image ls 2>/dev/null) || return 1
  while IFS= read -r line; do
    [[ $line == "$2" || $line == */"$2" ]] && return 0
  done <<<"$listed"
  return 1
}
