#!/usr/bin/env bash
# Deploys with the terraform/ root module, one state per environment: a Terraform workspace named after the env
# (terraform/ refuses -var env=B in workspace A before changing anything).
#   tools/ci/deploy.sh apply ENV                apply -auto-approve -var env=ENV -var image_tag=<version>-<commit>
#   tools/ci/deploy.sh plan ENV PLANFILE        save a plan to PLANFILE, and its readable form to PLANFILE.txt
#   tools/ci/deploy.sh apply-plan ENV PLANFILE  apply exactly that saved plan (Terraform refuses it once stale)
# Environment:
#   KUBECONFIG         kubeconfig of the target cluster (required)
#   KUBE_CONTEXT       context in it (default: its current context)
#   ECR_REPOSITORY     image repository to deploy from (default: the one in the synthesized chart)
#   TF_BACKEND_CONFIG  S3 backend settings file (bucket, region, use_lockfile); key shipyard.tfstate, so ENV's state
#                      is env:/ENV/shipyard.tfstate. Unset: local state (terraform/terraform.tfstate.d/ENV), allowed
#                      outside Jenkins only (a cleaned workspace would lose it).
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

usage() { sed -n '4,6p' "$0" | sed 's/^# //' >&2; exit 2; }
[[ $# -ge 2 ]] || usage
action=$1 env=$2
check_env_name "$env"
case $action in
  apply) [[ $# -eq 2 ]] || usage ;;
  plan | apply-plan) [[ $# -eq 3 ]] || usage; planfile=$(realpath -m "$3") ;;
  *) usage ;;
esac

need terraform "install Terraform >= 1.11"
need_env KUBECONFIG "point it at the $env cluster's kubeconfig (Jenkins: file credential shipyard-kubeconfig-$env)"
contract_field "$env" namespace >/dev/null # fails with the synth hint when the chart is missing
tf=(terraform -chdir=terraform)

cleanup=()
trap 'rm -f "${cleanup[@]}"' EXIT
# A saved plan stores the kubeconfig path, and each stage gets the credential at a new temporary path:
# plan and apply both reach it through the same link, relative to terraform/.
kubeconfig_link=.kubeconfig-$env
ln -sfn "$(realpath "$KUBECONFIG")" "terraform/$kubeconfig_link"
cleanup+=("$REPO_ROOT/terraform/$kubeconfig_link")

init_args=(-input=false)
if [[ -n ${TF_BACKEND_CONFIG:-} ]]; then
  # The module declares no backend so that a laptop works with local state; CI adds the S3 one here.
  "$REPO_ROOT/tools/ci/s3-backend.sh" terraform
  cleanup+=("$REPO_ROOT/terraform/backend_override.tf")
  init_args+=(-reconfigure "-backend-config=$TF_BACKEND_CONFIG" "-backend-config=key=shipyard.tfstate")
elif [[ -n ${JENKINS_URL:-} ]]; then
  die "TF_BACKEND_CONFIG is not set: state kept in the workspace is lost when it is cleaned; bind the shipyard-tf-backend file credential"
else
  say "no TF_BACKEND_CONFIG: using local state in terraform/ (fine for one person; see terraform/README.md)"
fi
run "${tf[@]}" init "${init_args[@]}"
# The env's own state; terraform/ refuses an env applied in another env's workspace.
run "${tf[@]}" workspace select -or-create "$env"

if [[ $action == apply-plan ]]; then
  [[ -f $planfile ]] || die "$planfile is missing: make it with \`tools/ci/deploy.sh plan $env $3\`"
  run "${tf[@]}" apply -input=false -lock-timeout=5m "$planfile"
  say "applied $planfile to $env"
  exit 0
fi

[[ -n ${KUBE_CONTEXT:-} ]] || need kubectl "install kubectl, or set KUBE_CONTEXT"
context=${KUBE_CONTEXT:-$(kubectl config current-context)}
tag=$(image_tag)
vars=(-var "env=$env" -var "image_tag=$tag" -var "kubeconfig_path=$kubeconfig_link" -var "kube_context=$context")
# The image push-image.sh pushed; unset keeps the repository the chart was synthesized with.
[[ -z ${ECR_REPOSITORY:-} ]] || vars+=(-var "image_repository=$ECR_REPOSITORY")
say "$action $env: image_tag=$tag, context=$context"
if [[ $action == apply ]]; then
  run "${tf[@]}" apply -input=false -lock-timeout=5m -auto-approve "${vars[@]}"
else
  mkdir -p "$(dirname "$planfile")"
  run "${tf[@]}" plan -input=false -lock-timeout=5m -out="$planfile" "${vars[@]}"
  echo "+ ${tf[*]} show -no-color $planfile > $planfile.txt"
  "${tf[@]}" show -no-color "$planfile" >"$planfile.txt"
  say "plan for $env saved to $planfile (readable: $planfile.txt)"
fi
