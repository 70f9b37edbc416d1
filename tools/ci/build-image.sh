#!/usr/bin/env bash
# Builds the API image as $LOCAL_IMAGE_NAME:<version>-<commit> (default shipyard-api) through `nx run api:docker-build`,
# which reads the tag from IMAGE_TAG. Needs a Docker engine.
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

tag=$(image_tag)
say "building $LOCAL_IMAGE_NAME:$tag"
run env IMAGE_TAG="$tag" IMAGE_NAME="$LOCAL_IMAGE_NAME" npx nx run api:docker-build
docker image inspect "$LOCAL_IMAGE_NAME:$tag" >/dev/null 2>&1 ||
  die "api:docker-build did not produce $LOCAL_IMAGE_NAME:$tag: the target must tag the image \$IMAGE_NAME:\$IMAGE_TAG"
say "built $LOCAL_IMAGE_NAME:$tag"
