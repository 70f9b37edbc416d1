#!/usr/bin/env bash
# Builds the API image from apps/api/Dockerfile, unchanged, with buildah and without pulling: the two base images
# it names are local stand-ins (tools/toolchain/ensure.sh base-images), imported under exactly those names.
# A machine that can pull builds the real image with `npx nx run api:docker-build` instead.
#
#   apps/api-e2e/image/build.sh IMAGE      e.g. localhost/shipyard-api:dev; prints build time and image size
#
# Built once per state of the sources (see source_key below): a second call tags the image the first one built.
#
# Needs root (buildah and podman share root's image store; RUN steps use chroot isolation).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
DOCKERFILE=$ROOT/apps/api/Dockerfile
IMAGE=${1:?usage: build.sh IMAGE (e.g. localhost/shipyard-api:dev)}
# The sandbox may not raise rlimits above its hard limits: ask for what it grants.
ULIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
LABEL=dev.shipyard.stand-in

say() { echo "image-build: $*"; }
die() { echo "image-build: ERROR: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: buildah builds with --isolation chroot into root's image store"
"$ROOT/tools/toolchain/ensure.sh" apt base-images >&2
STANDINS=$("$ROOT/tools/toolchain/ensure.sh" --paths base-images)
KEY=$(basename "$STANDINS")
# The ensure.sh settings the build stand-in is made with (its CA bundle's path), without running ensure.sh.
BUILD_CA=$(sed -nE 's/^BASE_IMAGES_BUILD_CA=(.*)$/\1/p' "$ROOT/tools/toolchain/ensure.sh")

# The base images, as the Dockerfile names them: the first FROM (the build stage) and the last (the runtime).
mapfile -t bases < <(sed -nE 's/^FROM[[:space:]]+([^[:space:]]+).*$/\1/p' "$DOCKERFILE")
((${#bases[@]} >= 2)) || die "$DOCKERFILE has fewer than two FROM lines; expected a build and a runtime stage"
build_base=${bases[0]} runtime_base=${bases[-1]}
# A stand-in is only faithful to the image it imitates: another base needs another stand-in.
[[ $build_base =~ ^node:22-bookworm(-slim)?$ ]] ||
  die "the build stage is FROM $build_base; the stand-in imitates node:22-bookworm-slim (tools/toolchain/builds.sh base-images)"
[[ $runtime_base =~ ^gcr\.io/distroless/nodejs22-debian12:(nonroot|latest)$ ]] ||
  die "the runtime stage is FROM $runtime_base; the stand-in imitates gcr.io/distroless/nodejs22-debian12:nonroot (tools/toolchain/builds.sh base-images)"
# Docker's own name for a Docker Hub short name, so `FROM node:...` resolves to it without a registry search.
qualified() { if [[ $1 == */* && ${1%%/*} == *[.:]* ]]; then echo "$1"; else echo "docker.io/library/$1"; fi; }

# Imports a stand-in unless the image of that name is already this very stand-in (its label holds the cache key).
import_standin() {
  local name=$1 tar=$2 have start=$SECONDS; shift 2
  have=$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$name" 2>/dev/null || true)
  if [[ $have == "$KEY" ]]; then say "$name: stand-in $KEY (imported)"; return; fi
  say "importing $tar as $name (about 10 s)"
  podman import --quiet --change "LABEL $LABEL=$KEY" "$@" "$tar" "$name" >/dev/null
  say "$name imported in $((SECONDS - start)) s"
}
import_standin "$(qualified "$build_base")" "$STANDINS/build.tar" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$(sed -E 's/^.*-node([^-]+)-.*$/\1/' <<<"$KEY")" \
  --change "ENV NODE_EXTRA_CA_CERTS=$BUILD_CA" \
  --change 'CMD ["node"]'
import_standin "$runtime_base" "$STANDINS/runtime.tar" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'USER 65532' --change 'WORKDIR /home/nonroot' \
  --change 'ENTRYPOINT ["/nodejs/bin/node"]'

version=$(node -p 'require(process.argv[1]).version' "$ROOT/apps/api/package.json")
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)

# One build per state of the sources: `npm test` needs the image twice (test-image, then the real-node suite),
# and a build takes about 3 min of both cores. The key covers what the build reads: every file git tracks or
# would track (committed or not; .gitignore'd files are neither in it nor, through .dockerignore, in the image),
# the revision baked into the image, and the stand-ins. The last image built stays in the store as
# $SOURCE_REPO:<key>; an older one is removed when a newer one is built. Outside a git work tree: always built.
SOURCE_REPO=localhost/shipyard-api-source
source_key() {
  local idx tree
  git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  idx=$(mktemp)
  # A copy of the real index, so unchanged files are not hashed again and the real one is left alone.
  cp "$(git -C "$ROOT" rev-parse --absolute-git-dir)/index" "$idx" 2>/dev/null || rm -f "$idx"
  tree=$(GIT_INDEX_FILE=$idx git -C "$ROOT" add -A && GIT_INDEX_FILE=$idx git -C "$ROOT" write-tree) || tree=""
  rm -f "$idx"
  [[ -z $tree ]] || sha256sum <<<"$tree $revision $KEY" | cut -c1-16
}
key=$(source_key)
if [[ -n $key ]] && podman image exists "$SOURCE_REPO:$key"; then
  podman tag "$SOURCE_REPO:$key" "$IMAGE"
  size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
  say "$IMAGE is $SOURCE_REPO:$key, built $(podman image inspect --format '{{.Created}}' "$IMAGE" | cut -d. -f1) from these very sources (work tree, revision ${revision:0:12}, stand-ins $KEY): not built again; $((size / 1000000)) MB"
  exit 0
fi

log=$(mktemp /tmp/shipyard-image-build.XXXXXX.log)
say "buildah bud -f apps/api/Dockerfile -t $IMAGE: expect about 1-2 min (npm ci and nx build inside); log: $log"
start=$SECONDS
# A line every 30 s while it builds, so a long build never looks hung.
(while sleep 30 </dev/null >/dev/null 2>&1; do say "still building ($((SECONDS - start)) s so far; log: $log)"; done) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT
status=0
# --format docker, as `docker build` writes: the OCI format has no HEALTHCHECK and buildah would drop it.
(cd "$ROOT" && buildah bud --isolation chroot --pull=never --format docker "${ULIMITS[@]}" --layers=false \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  -f apps/api/Dockerfile -t "$IMAGE" .) >"$log" 2>&1 || status=$?
kill "$ticker" 2>/dev/null || true
if ((status != 0)); then
  tail -n 40 "$log" >&2
  die "buildah bud failed (exit $status); full log: $log"
fi
rm -f "$log"
if [[ -n $key ]]; then
  for stale in $(podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$SOURCE_REPO"); do
    podman rmi "$stale" >/dev/null 2>&1 || true # still in use under another name: only untagged, or kept
  done
  podman tag "$IMAGE" "$SOURCE_REPO:$key"
fi
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE in $((SECONDS - start)) s: $((size / 1000000)) MB ($size bytes), on stand-in base images $KEY"
