#!/usr/bin/env bash
# Writes the Terraform CLI config that decides where `terraform init` gets its providers.
# Usage: export TF_CLI_CONFIG_FILE=<file>; tools/toolchain/terraform-cli-config.sh "$TF_CLI_CONFIG_FILE" [TF_DIR]
#   TF_DIR: the configuration whose providers must be available (default: the repository's terraform/, all of it)
#   registry.terraform.io reachable: a config without provider_installation, so init downloads as usual.
#   Otherwise filesystem mirrors, from either or both of these optional variables:
#     SHIPYARD_TF_PROVIDER_SOURCES  dir of provider source tarballs: built by `ensure.sh tfproviders`
#     SHIPYARD_TF_PROVIDER_MIRROR   an existing filesystem mirror (registry.terraform.io/<ns>/<name>/...)
#   Neither, or mirrors lacking a provider terraform/ names: fails naming both ways. The decision is printed on stderr.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REGISTRY_PROBE=https://registry.terraform.io/.well-known/terraform.json
say() { echo "==> terraform-cli-config: $*" >&2; }
die() { echo "==> terraform-cli-config: ERROR: $*" >&2; exit 1; }

out=${1:-}
[[ -n $out ]] || die "usage: terraform-cli-config.sh OUT_FILE [TF_DIR] (then export TF_CLI_CONFIG_FILE=OUT_FILE)"
tf_dir=${2:-$HERE/../../terraform}
mkdir -p "$(dirname "$out")"

if curl -fsS --max-time 5 -o /dev/null "$REGISTRY_PROBE" 2>/dev/null; then
  say "registry.terraform.io is reachable: terraform init downloads providers as usual"
  echo 'disable_checkpoint = true' >"$out"
  exit 0
fi

sources=${SHIPYARD_TF_PROVIDER_SOURCES:-} mirror=${SHIPYARD_TF_PROVIDER_MIRROR:-}
if [[ -z $sources && -z $mirror ]]; then
  die "registry.terraform.io cannot be reached and no local provider mirror is configured. Either reach" \
    "the registry (network or proxy), or set SHIPYARD_TF_PROVIDER_SOURCES (dir holding" \
    "terraform-provider-<name>-<version>.tar.gz sources, built by tools/toolchain/ensure.sh tfproviders) and/or" \
    "SHIPYARD_TF_PROVIDER_MIRROR (a Terraform filesystem mirror dir)."
fi

blocks="" built_includes=""
if [[ -n $sources ]]; then
  [[ -d $sources ]] || die "SHIPYARD_TF_PROVIDER_SOURCES=$sources is not a directory"
  # --paths takes no lock: a built mirror is used without waiting for another ensure.sh to finish.
  built=$("$HERE/ensure.sh" --paths tfproviders 2>/dev/null) ||
    { "$HERE/ensure.sh" tfproviders >&2 && built=$("$HERE/ensure.sh" --paths tfproviders); }
  for dir in "$built"/registry.terraform.io/*/*; do
    built_includes+="${built_includes:+, }\"registry.terraform.io/${dir#"$built"/registry.terraform.io/}\""
  done
  blocks+="  filesystem_mirror {
    path    = \"$built\"
    include = [$built_includes]
  }
"
  say "registry unreachable: providers built from $sources ($built_includes)"
fi
if [[ -n $mirror ]]; then
  [[ -d $mirror/registry.terraform.io ]] ||
    die "SHIPYARD_TF_PROVIDER_MIRROR=$mirror is not a filesystem mirror (no registry.terraform.io/ in it)"
  blocks+="  filesystem_mirror {
    path    = \"$mirror\"
    exclude = [$built_includes]
  }
"
  say "registry unreachable: filesystem mirror $mirror"
fi

# Every provider TF_DIR's Terraform names must be in one of the mirrors; otherwise init would fail later
# with "not found in any of the search locations", which names neither way to get it.
missing=""
for provider in $(grep -rhoE 'source *= *"[a-z0-9-]+/[a-z0-9-]+"' "$tf_dir" --include='*.tf' |
  sed -E 's/.*"(.*)"/\1/' | sort -u); do
  [[ -n ${built:-} && -d $built/registry.terraform.io/$provider ]] && continue
  [[ -n $mirror && -d $mirror/registry.terraform.io/$provider ]] && continue
  missing+="${missing:+, }$provider"
done
[[ -z $missing ]] ||
  die "registry.terraform.io cannot be reached and no configured mirror holds $missing. Either reach the" \
    "registry (network or proxy), or set SHIPYARD_TF_PROVIDER_SOURCES (dir holding" \
    "terraform-provider-<name>-<version>.tar.gz sources, built by tools/toolchain/ensure.sh tfproviders) or" \
    "SHIPYARD_TF_PROVIDER_MIRROR to a filesystem mirror that holds them."

# No `direct` block: every provider must come from a mirror, none is looked up on the unreachable registry.
printf 'disable_checkpoint = true\n\nprovider_installation {\n%s}\n' "$blocks" >"$out"
