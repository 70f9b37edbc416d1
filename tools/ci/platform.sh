#!/usr/bin/env bash
# The AWS platform of ENV (terraform/aws: VPC, ALB, EKS, IRSA, Secrets Manager, ECR), as the pipeline uses it.
#   tools/ci/platform.sh plan ENV PLANFILE        save a plan to PLANFILE, its readable form to PLANFILE.txt, and to
#                                                 PLANFILE.changes "true" or "false": whether applying it changes anything
#   tools/ci/platform.sh apply-plan ENV PLANFILE  apply exactly that saved plan (Terraform refuses it once stale)
#   tools/ci/platform.sh connect ENV DIR          write DIR/outputs.json (the platform's outputs) and DIR/kubeconfig,
#                                                 whose context shipyard-ENV reaches the EKS cluster (aws eks update-kubeconfig)
# Environment:
#   PLATFORM_TFVARS    tfvars file of terraform/aws (hosted_zone_id, api_domain_name, rotation_lambda_arn, ...; see
#                      terraform/aws/README.md). Needed by plan; contract_path is set here, from ENV's synthesized contract.
#   TF_BACKEND_CONFIG  S3 backend settings file, as for tools/ci/deploy.sh; the state key is shipyard/ENV/aws.tfstate, the
#                      one the README's production section creates. Unset: local state in terraform/aws (outside Jenkins only).
#   AWS credentials    in the environment (Jenkins: shipyard-aws).
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

usage() { sed -n '2,7p' "$0" | sed 's/^# //' >&2; exit 2; }
[[ $# -eq 3 ]] || usage
action=$1 env=$2 target=$3
case $action in plan | apply-plan | connect) ;; *) usage ;; esac
check_env_name "$env"
contract_field "$env" namespace >/dev/null # fails with the synth hint when the contract is missing
need terraform "install Terraform >= 1.11"
tf=(terraform -chdir=terraform/aws)

cleanup=()
trap 'rm -f "${cleanup[@]}"' EXIT
init_args=(-input=false)
if [[ -n ${TF_BACKEND_CONFIG:-} ]]; then
  "$REPO_ROOT/tools/ci/s3-backend.sh" terraform/aws
  cleanup+=("$REPO_ROOT/terraform/aws/backend_override.tf")
  init_args+=(-reconfigure "-backend-config=$TF_BACKEND_CONFIG" "-backend-config=key=shipyard/$env/aws.tfstate")
elif [[ -n ${JENKINS_URL:-} ]]; then
  die "TF_BACKEND_CONFIG is not set: the platform's state must live in S3; bind the shipyard-tf-backend file credential"
else
  say "no TF_BACKEND_CONFIG: using local state in terraform/aws (see terraform/aws/README.md for the S3 backend)"
fi

case $action in
  plan)
    need_env PLATFORM_TFVARS "point it at the tfvars file of terraform/aws (Jenkins: file credential shipyard-platform-tfvars; see terraform/aws/README.md)"
    [[ -f $PLATFORM_TFVARS ]] || die "PLATFORM_TFVARS=$PLATFORM_TFVARS does not exist"
    planfile=$(realpath -m "$target")
    mkdir -p "$(dirname "$planfile")"
    run "${tf[@]}" init "${init_args[@]}"
    # Relative to terraform/aws, so the saved plan applies from any workspace path.
    vars=(-var-file="$(realpath "$PLATFORM_TFVARS")" -var "contract_path=../../dist/k8s-manifests/$env/contract.json")
    status=0
    run "${tf[@]}" plan -input=false -lock-timeout=5m -detailed-exitcode -out="$planfile" "${vars[@]}" || status=$?
    case $status in
      0) echo false >"$planfile.changes" ;;
      2) echo true >"$planfile.changes" ;;
      *) die "terraform plan of terraform/aws failed (exit $status)" ;;
    esac
    echo "+ ${tf[*]} show -no-color $planfile > $planfile.txt"
    "${tf[@]}" show -no-color "$planfile" >"$planfile.txt"
    if [[ $status -eq 2 ]]; then
      say "the $env platform has changes: $planfile (readable: $planfile.txt) needs its own approval before it is applied"
    else
      say "the $env platform is up to date: nothing to approve or apply"
    fi
    ;;
  apply-plan)
    planfile=$(realpath -m "$target")
    [[ -f $planfile ]] || die "$planfile is missing: make it with \`tools/ci/platform.sh plan $env $target\`"
    run "${tf[@]}" init "${init_args[@]}"
    run "${tf[@]}" apply -input=false -lock-timeout=5m "$planfile"
    say "applied $planfile to the $env platform"
    ;;
  connect)
    need aws "install the AWS CLI v2"
    mkdir -p "$target"
    run "${tf[@]}" init "${init_args[@]}"
    echo "+ ${tf[*]} output -json > $target/outputs.json"
    "${tf[@]}" output -json >"$target/outputs.json"
    output() {
      node -e 'const o = require(process.argv[1])[process.argv[2]];
        if (!o) { console.error(`terraform/aws has no output "${process.argv[2]}": apply the platform first (tools/ci/platform.sh plan, then apply-plan)`); process.exit(1); }
        console.log(typeof o.value === "string" ? o.value : JSON.stringify(o.value));' "$(realpath "$target/outputs.json")" "$1"
    }
    cluster=$(output cluster_name) || exit 1
    region=$(output region) || exit 1
    # Only the context this pipeline deploys to, in a file of its own: never the agent's ~/.kube/config.
    run aws eks update-kubeconfig --region "$region" --name "$cluster" --alias "shipyard-$env" --kubeconfig "$target/kubeconfig"
    say "context shipyard-$env in $target/kubeconfig reaches EKS cluster $cluster ($region)"
    ;;
esac
