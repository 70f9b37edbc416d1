#!/usr/bin/env bash
# Builds the API image from apps/api/Dockerfile with the repository root as context: `npx nx run api:docker-build`.
#   image name: $IMAGE_NAME, else $IMAGE, else shipyard-api
#   tag:        $IMAGE_TAG, else $TAG, else the version in apps/api/package.json
# OCI labels: version (apps/api/package.json), revision (git HEAD), source ($IMAGE_SOURCE, else git remote origin).
# Extra `docker build` flags may follow, e.g. `npx nx run api:docker-build -- --no-cache`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$ROOT"

die() { echo "docker-build: ERROR: $*" >&2; exit 1; }
command -v docker >/dev/null || die "the docker CLI is not installed"
if ! docker_error=$(docker info 2>&1 >/dev/null); then
  die "no Docker engine is reachable (\`docker info\` failed: $(tail -n 1 <<<"$docker_error")).
Build the image where an engine runs (CI's Docker agent), or prove the runtime claims here without one:
  npx nx run api-e2e:test-artifact"
fi

version=$(node -p "require('./apps/api/package.json').version")
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Never bake credentials into a label: drop any user:token@ from the remote URL.
source_url=${IMAGE_SOURCE:-$(git config --get remote.origin.url 2>/dev/null | sed -E 's#^([a-z+]+://)[^/@]*@#\1#' || true)}
image="${IMAGE_NAME:-${IMAGE:-shipyard-api}}:${IMAGE_TAG:-${TAG:-$version}}"

set -x
docker build -f apps/api/Dockerfile \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE="$source_url" \
  -t "$image" "$@" .
