# shellcheck shell=bash
# Source me: `source tools/toolchain/env.sh TOOL...` (TOOL: any of ensure.sh's, e.g. helm k8s kubectl | all).
# Puts the cached toolchain on PATH and exports SHIPYARD_CACHE. Builds nothing: run ensure.sh first.
# Pass the tools explicitly: with no arguments, `source` would hand this file the caller's own arguments.

_shipyard_env() {
  local dirs dir
  export SHIPYARD_CACHE=${SHIPYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipyard}
  # ensure.sh holds the versions, hence the cache paths; --paths fails for a tool that is not built.
  dirs=$("$(dirname "${BASH_SOURCE[0]}")/ensure.sh" --paths "$@") || return 1
  while IFS= read -r dir; do
    [[ -z $dir || ":$PATH:" == *":$dir:"* ]] || PATH=$dir:$PATH
  done <<<"$dirs"
  export PATH
}

_shipyard_env "$@"
