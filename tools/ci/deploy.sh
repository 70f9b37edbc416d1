#!/usr/bin/env bash
# Deploys with the terraform/ root module, one state per environment: a Terraform workspace named after the env
# (terraform/ refuses -var env=B in workspace A before changing anything).
#   tools/ci/deploy.sh apply ENV [OPTION]                apply -auto-approve -var env=ENV -var image_tag=<version>-<commit>
#   tools/ci/deploy.sh plan ENV PLANFILE [OPTION]        save a plan to PLANFILE, and its readable form to PLANFILE.txt
#   tools/ci/deploy.sh apply-plan ENV PLANFILE [OPTION]  apply exactly that saved plan (Terraform refuses it once stale)
# OPTION (at most one):
#   --image=minikube   the image of this commit from the minikube cluster itself ($LOCAL_IMAGE_NAME:<tag>, loaded by
#                      tools/ci/minikube-image.sh): refused unless minikube lists it and the chart's pull policy never
#                      pulls a present image; ECR_REPOSITORY is ignored.
#   --platform=aws     ENV runs on the platform terraform/aws made (tools/ci/platform.sh connect): kube context
#                      shipyard-ENV from `aws eks update-kubeconfig` of its cluster_name output (KUBECONFIG is not used),
#                      image from its ecr_repository_url, secrets from Secrets Manager (-var secrets_source=aws-secrets-manager,
#                      aws_region, app_role_arn, app_secret_arns from its outputs). Needs AWS credentials.
# Environment:
#   KUBECONFIG         kubeconfig of the target cluster (required without --platform)
#   KUBE_CONTEXT       context in it (default: its current context)
#   MINIKUBE_PROFILE   with --image=minikube (default minikube)
#   ECR_REPOSITORY     image repository to deploy from (default: the one in the synthesized chart); with --platform=aws
#                      it must match the ecr_repository_url output
#   TF_BACKEND_CONFIG  S3 backend settings file (bucket, region, use_lockfile); key shipyard.tfstate, so ENV's state
#                      is env:/ENV/shipyard.tfstate. Unset: local state (terraform/terraform.tfstate.d/ENV), allowed
#                      outside Jenkins only (a cleaned workspace would lose it).
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

usage() { sed -n '4,14p' "$0" | sed 's/^# //' >&2; exit 2; }
positional=() option=""
for arg; do
  case $arg in
    --image=minikube | --platform=aws) [[ -z $option ]] || usage; option=$arg ;;
    -*) echo "unknown option $arg" >&2; usage ;;
    *) positional+=("$arg") ;;
  esac
done
set -- "${positional[@]}"
[[ $# -ge 2 ]] || usage
action=$1 env=$2
check_env_name "$env"
case $action in
  apply) [[ $# -eq 2 ]] || usage ;;
  plan | apply-plan) [[ $# -eq 3 ]] || usage; planfile=$(realpath -m "$3") ;;
  *) usage ;;
esac

need terraform "install Terraform >= 1.11"
contract_field "$env" namespace >/dev/null # fails with the synth hint when the chart is missing
tf=(terraform -chdir=terraform)

work=$(mktemp -d)
chmod 700 "$work"
cleanup=("$work")
trap 'rm -rf "${cleanup[@]}"' EXIT

platform_vars=()
if [[ $option == --platform=aws ]]; then
  "$REPO_ROOT/tools/ci/platform.sh" connect "$env" "$work/platform"
  export KUBECONFIG=$work/platform/kubeconfig KUBE_CONTEXT=shipyard-$env
  # platform_output NAME: one output of terraform/aws, strings as they are, maps as JSON (HCL reads JSON objects).
  platform_output() {
    node -e 'const v = require(process.argv[1])[process.argv[2]]?.value;
      if (v === undefined) { console.error(`terraform/aws has no output "${process.argv[2]}"`); process.exit(1); }
      console.log(typeof v === "string" ? v : JSON.stringify(v));' "$work/platform/outputs.json" "$1"
  }
  ecr=$(platform_output ecr_repository_url) || exit 1
  [[ -z ${ECR_REPOSITORY:-} || $ECR_REPOSITORY == "$ecr" ]] ||
    die "ECR_REPOSITORY=$ECR_REPOSITORY, but terraform/aws's ecr_repository_url is $ecr: the image would be pushed to one and deployed from the other; fix the Jenkins global setting"
  secret_arns=$(platform_output app_secret_arns) || exit 1
  mapfile -t secret_keys < <(contract_field "$env" secret_keys)
  missing=$(node -e 'const arns = JSON.parse(process.argv[1]); console.log(process.argv.slice(2).filter((k) => !arns[k]).join(" "))' \
    "$secret_arns" "${secret_keys[@]}")
  [[ -z $missing ]] ||
    die "terraform/aws's app_secret_arns has no secret for $missing (contract of $env): plan and apply the platform with this contract first (tools/ci/platform.sh)"
  region=$(platform_output region) || exit 1
  role=$(platform_output app_role_arn) || exit 1
  platform_vars=(-var "image_repository=$ecr" -var "secrets_source=aws-secrets-manager"
    -var "aws_region=$region" -var "app_role_arn=$role" -var "app_secret_arns=$secret_arns")
else
  need_env KUBECONFIG "point it at the $env cluster's kubeconfig (Jenkins: file credential shipyard-kubeconfig-$env)"
fi

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
case $option in
  --image=minikube)
    profile=${MINIKUBE_PROFILE:-minikube}
    need minikube "install minikube, or deploy without --image=minikube"
    minikube_has_image "$profile" "$LOCAL_IMAGE_NAME:$tag" ||
      die "minikube profile $profile has no $LOCAL_IMAGE_NAME:$tag, and dev must not pull it from a registry: run tools/ci/build-image.sh and tools/ci/minikube-image.sh first"
    # Present on the nodes is only enough if the kubelet does not pull anyway.
    if grep -rhoE 'imagePullPolicy: *"?Always' "dist/k8s-manifests/$env/templates" >/dev/null; then
      die "the $env chart sets imagePullPolicy: Always, so the kubelet would pull $LOCAL_IMAGE_NAME:$tag from a registry despite the loaded copy; it must be IfNotPresent or Never"
    fi
    [[ -z ${ECR_REPOSITORY:-} ]] || say "ECR_REPOSITORY is ignored: $env runs the image loaded into minikube"
    vars+=(-var "image_repository=$LOCAL_IMAGE_NAME")
    ;;
  --platform=aws) vars+=("${platform_vars[@]}") ;;
  *)
    # The image push-image.sh pushed; unset keeps the repository the chart was synthesized with.
    [[ -z ${ECR_REPOSITORY:-} ]] || vars+=(-var "image_repository=$ECR_REPOSITORY")
    ;;
esac
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
