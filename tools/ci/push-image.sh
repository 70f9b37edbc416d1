#!/usr/bin/env bash
# Pushes $LOCAL_IMAGE_NAME:<version>-<commit> (made by build-image.sh) to ECR under the same tag.
# Needs: ECR_REPOSITORY (terraform/aws output ecr_repository_url), AWS credentials in the environment, aws, docker.
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

need_env ECR_REPOSITORY "set it to the ECR repository URL (terraform/aws output ecr_repository_url), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shipyard/api"
need aws "install the AWS CLI v2"
need docker "this step needs a Docker engine"

tag=$(image_tag)
registry=${ECR_REPOSITORY%%/*}
repository=${ECR_REPOSITORY#*/}
region=${AWS_REGION:-$(cut -d. -f4 <<<"$registry")} # <account>.dkr.ecr.<region>.amazonaws.com

# ECR tags are immutable: a rebuild of the same commit keeps the image already pushed.
if aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=$tag" >/dev/null 2>&1; then
  say "$ECR_REPOSITORY:$tag already exists; nothing to push"
  exit 0
fi

# A per-run Docker config keeps the ECR token off the shared agent.
DOCKER_CONFIG=$(mktemp -d)
export DOCKER_CONFIG
trap 'rm -rf "$DOCKER_CONFIG"' EXIT
echo "+ aws ecr get-login-password --region $region | docker login --username AWS --password-stdin $registry"
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
run docker tag "$LOCAL_IMAGE_NAME:$tag" "$ECR_REPOSITORY:$tag"
run docker push "$ECR_REPOSITORY:$tag"
say "pushed $ECR_REPOSITORY:$tag"
