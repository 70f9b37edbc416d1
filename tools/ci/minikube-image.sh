#!/usr/bin/env bash
# Loads $LOCAL_IMAGE_NAME:<version>-<commit> (made by build-image.sh) from the local Docker engine into every node of
# the minikube cluster that serves as dev, so dev runs the image of this commit without any registry: no pull from
# ECR, no registry credentials in the cluster. Then checks minikube lists it.
#   tools/ci/minikube-image.sh
# Environment: MINIKUBE_PROFILE (default minikube). Needs minikube and docker on this machine.
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

[[ $# -eq 0 ]] || die "usage: tools/ci/minikube-image.sh (profile: MINIKUBE_PROFILE, default minikube)"
need minikube "install minikube; dev is a minikube cluster on this machine"
need docker "this step needs the Docker engine build-image.sh built the image with"
profile=${MINIKUBE_PROFILE:-minikube}
image=$LOCAL_IMAGE_NAME:$(image_tag)

docker image inspect "$image" >/dev/null 2>&1 || die "$image is not in the local Docker engine: run tools/ci/build-image.sh first"
run minikube -p "$profile" image load "$image"
minikube_has_image "$profile" "$image" ||
  die "minikube profile $profile does not list $image after the load (minikube -p $profile image ls)"
say "$image is in minikube profile $profile"
