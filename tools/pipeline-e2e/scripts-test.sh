#!/usr/bin/env bash
# Runs tools/ci scripts in a throwaway copy of the repo, with fake kubectl, curl and terraform on PATH that play
# a cluster and record what they were asked. Prints ok/FAIL per behaviour and "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT

# A minimal repo: the scripts, the app version, a synthesized contract per env, one commit for the image tag.
repo=$sandbox/repo
mkdir -p "$repo/tools" "$repo/apps/api" "$repo/terraform/aws" "$sandbox/bin"
cp -r "$ROOT/tools/ci" "$repo/tools/ci"
echo '{"version": "1.2.3"}' >"$repo/apps/api/package.json"
mkdir -p "$repo/dist/k8s-manifests"
echo '{"environments": ["dev", "prod"]}' >"$repo/dist/k8s-manifests/environments.json"
for env in dev prod; do
  mkdir -p "$repo/dist/k8s-manifests/$env"
  echo "{\"namespace\": \"shipyard-$env\", \"service_name\": \"api\", \"secret_name\": \"api-secrets\",
    \"secret_keys\": [\"DB_PASSWORD\", \"SECRET_KEY\"]}" >"$repo/dist/k8s-manifests/$env/contract.json"
  mkdir -p "$repo/dist/k8s-manifests/$env/templates"
  printf '        - image: "x"\n          imagePullPolicy: IfNotPresent\n' >"$repo/dist/k8s-manifests/$env/templates/manifests.yaml"
done
git -C "$repo" init -q && git -C "$repo" add -A && git -C "$repo" -c user.name=t -c user.email=t@t commit -qm t
commit=$(git -C "$repo" rev-parse --short=8 HEAD)
echo 'apiVersion: v1' >"$sandbox/kubeconfig"

cat >"$sandbox/bin/kubectl" <<'FAKE'
#!/usr/bin/env bash
echo "kubectl $*" >>"$FAKE_LOG"
case "$*" in
  *"config current-context"*) echo fake-context ;;
  *"get service"*) echo 80 ;;
  *port-forward*) echo "Forwarding from 127.0.0.1:41234 -> 3000"; exec sleep 30 ;;
  *"get secret"*) all="$*"; key=${all##*.data.}; key=${key%\}}; var=FAKE_SECRET_$key; printf '%s' "${!var}" | base64 ;;
esac
FAKE
cat >"$sandbox/bin/curl" <<'FAKE'
#!/usr/bin/env bash
echo "curl $*" >>"$FAKE_LOG"
out=""
while [[ $# -gt 0 ]]; do case $1 in -o) out=$2; shift 2 ;; *) url=$1; shift ;; esac; done
case $url in
  */readyz) echo -n "$FAKE_READYZ" ;;
  */config) echo "$FAKE_CONFIG" >"$out" ;;
esac
FAKE
cat >"$sandbox/bin/terraform" <<'FAKE'
#!/usr/bin/env bash
echo "terraform $*" >>"$FAKE_LOG"
dir=.; kubeconfig=""
for arg; do
  case $arg in -chdir=*) dir=${arg#-chdir=} ;; -out=*) touch "${arg#-out=}" ;; kubeconfig_path=*) kubeconfig=${arg#*=} ;; esac
done
[[ -z $kubeconfig || -e $dir/$kubeconfig ]] || { echo "fake terraform: $dir/$kubeconfig does not exist" >&2; exit 1; }
[[ " $* " == *" show "* ]] && echo "Plan: 3 to add, 0 to change, 0 to destroy."
[[ " $* " == *" output -json "* ]] && cat "$FAKE_TF_OUTPUTS"
[[ " $* " == *" plan "* && " $* " == *" -detailed-exitcode "* ]] && exit "${FAKE_TF_PLAN_EXIT:-0}"
[[ ! -e $dir/backend_override.tf ]] || echo "terraform: backend_override.tf present" >>"$FAKE_LOG"
exit 0
FAKE
cat >"$sandbox/bin/sonar-scanner" <<'FAKE'
#!/usr/bin/env bash
echo "sonar-scanner $*" >>"$FAKE_LOG"
FAKE
# The platform terraform/aws made, as its outputs say; aws writes the kubeconfig update-kubeconfig would.
cat >"$sandbox/bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
[[ "$1 $2" == "eks update-kubeconfig" ]] || exit 0
while [[ $# -gt 0 ]]; do case $1 in --kubeconfig) printf 'apiVersion: v1\ncurrent-context: shipyard-prod\n' >"$2"; shift 2 ;; *) shift ;; esac; done
FAKE
# minikube lists what was loaded into it; docker holds what build-image.sh built.
cat >"$sandbox/bin/minikube" <<'FAKE'
#!/usr/bin/env bash
echo "minikube $*" >>"$FAKE_LOG"
case "$*" in
  *"image ls"*) cat "$FAKE_MINIKUBE_IMAGES" 2>/dev/null ;;
  *"image load "*) echo "docker.io/library/${!#}" >>"$FAKE_MINIKUBE_IMAGES" ;;
esac
FAKE
cat >"$sandbox/bin/docker" <<'FAKE'
#!/usr/bin/env bash
echo "docker $*" >>"$FAKE_LOG"
[[ "$1 $2" != "image inspect" ]] || grep -qxF -- "$3" "$FAKE_DOCKER_IMAGES"
FAKE
chmod +x "$sandbox/bin"/*

export PATH="$sandbox/bin:$PATH" FAKE_LOG=$sandbox/calls.log KUBECONFIG=$sandbox/kubeconfig SMOKE_READY_TIMEOUT=1
export FAKE_SECRET_DB_PASSWORD='pa$$w0rd-"quoted"' FAKE_SECRET_SECRET_KEY='0123456789abcdef-key' FAKE_READYZ=200
export FAKE_CONFIG='{"DB_PASSWORD":{"set":true},"SECRET_KEY":{"set":true}}'
export FAKE_TF_OUTPUTS=$sandbox/outputs.json FAKE_MINIKUBE_IMAGES=$sandbox/minikube-images FAKE_DOCKER_IMAGES=$sandbox/docker-images
unset JENKINS_URL TF_BACKEND_CONFIG KUBE_CONTEXT ECR_REPOSITORY MINIKUBE_PROFILE PLATFORM_TFVARS SMOKE_URL
ecr=123456789012.dkr.ecr.eu-west-1.amazonaws.com/shipyard/api
write_outputs() { # write_outputs [SECRET_KEYS...]: terraform/aws outputs with an ARN for each key
  local arns
  arns=$(for key; do printf '"%s": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/%s-AbCdEf",' "$key" "$key"; done)
  cat >"$FAKE_TF_OUTPUTS" <<JSON
{"cluster_name": {"value": "shipyard-prod-eks"}, "region": {"value": "eu-west-1"}, "ecr_repository_url": {"value": "$ecr"},
 "api_url": {"value": "https://api.example.com"}, "app_role_arn": {"value": "arn:aws:iam::123456789012:role/shipyard-prod-api"},
 "app_secret_arns": {"value": {${arns%,}}}}
JSON
}
write_outputs DB_PASSWORD SECRET_KEY

passed=0 failed=0
out=$sandbox/out
# expect NAME STATUS(0|fail) COMMAND...: runs COMMAND in the repo copy, output in $out, calls in $FAKE_LOG.
expect() {
  local name=$1 want=$2 status; shift 2
  : >"$FAKE_LOG"
  (cd "$repo" && "$@") >"$out" 2>&1
  status=$?
  if [[ $want == 0 && $status -ne 0 ]] || [[ $want == fail && $status -eq 0 ]]; then
    fail "$name: exit $status"; sed 's/^/          | /' "$out"; return 1
  fi
}
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }
has() { grep -qF -- "$2" "$1"; }

name='smoke-test: passes when /readyz is 200 and /config shows secrets only as set'
expect "$name" 0 tools/ci/smoke-test.sh dev && { has "$out" 'dev passed' && ok "$name" || fail "$name: no pass message"; }

name='smoke-test: fails, naming the key, when /config returns a secret value (JSON-escaped); never prints the value'
FAKE_CONFIG='{"DB_PASSWORD":"pa$$w0rd-\"quoted\""}' expect "$name" fail tools/ci/smoke-test.sh dev &&
  { has "$out" 'value of secret DB_PASSWORD' && ! has "$out" 'w0rd' && ok "$name" || fail "$name: $(cat "$out")"; }

name='smoke-test: fails when /config returns a secret value as is'
FAKE_CONFIG='{"debug":"key=0123456789abcdef-key"}' expect "$name" fail tools/ci/smoke-test.sh dev &&
  { has "$out" 'value of secret SECRET_KEY' && ok "$name" || fail "$name: $(cat "$out")"; }

name='smoke-test: fails when /readyz is not 200'
FAKE_READYZ=503 expect "$name" fail tools/ci/smoke-test.sh dev &&
  { has "$out" 'answered 503' && ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy: apply dev runs terraform apply -auto-approve -var env=dev -var image_tag=<version>-<commit>'
expect "$name" 0 tools/ci/deploy.sh apply dev &&
  { has "$FAKE_LOG" "terraform -chdir=terraform apply -input=false -lock-timeout=5m -auto-approve -var env=dev -var image_tag=1.2.3-$commit" &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy: with ECR_REPOSITORY, deploys the image from that repository'
ECR_REPOSITORY=123456789012.dkr.ecr.eu-west-1.amazonaws.com/shipyard/api expect "$name" 0 tools/ci/deploy.sh apply dev &&
  { has "$FAKE_LOG" "-var image_repository=123456789012.dkr.ecr.eu-west-1.amazonaws.com/shipyard/api" &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy: every action selects the workspace named after the env before planning or applying (one state per env)'
expect "$name" 0 tools/ci/deploy.sh apply dev &&
  { grep -n '' "$FAKE_LOG" | grep -E 'workspace select -or-create dev$|apply ' | cut -d: -f2- | head -1 | grep -q 'workspace select -or-create dev' &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy: plan prod saves the plan and its readable form; apply-plan applies exactly that file'
expect "$name" 0 tools/ci/deploy.sh plan prod dist/terraform/prod.tfplan &&
  expect "$name" 0 tools/ci/deploy.sh apply-plan prod dist/terraform/prod.tfplan &&
  { has "$FAKE_LOG" "apply -input=false -lock-timeout=5m $repo/dist/terraform/prod.tfplan" && ! grep -q 'apply.*-var' "$FAKE_LOG" &&
    has "$repo/dist/terraform/prod.tfplan.txt" 'Plan: 3 to add' && [[ ! -e $repo/terraform/.kubeconfig-prod ]] &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy: with TF_BACKEND_CONFIG, state goes to S3 (key shipyard.tfstate, workspace prod); the override is removed after'
echo 'bucket = "b"' >"$sandbox/backend.hcl"
TF_BACKEND_CONFIG=$sandbox/backend.hcl expect "$name" 0 tools/ci/deploy.sh apply prod &&
  { has "$FAKE_LOG" "-backend-config=key=shipyard.tfstate" && has "$FAKE_LOG" 'workspace select -or-create prod' &&
    has "$FAKE_LOG" 'backend_override.tf present' &&
    [[ ! -e $repo/terraform/backend_override.tf ]] && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy: under Jenkins without TF_BACKEND_CONFIG, refuses before terraform runs'
JENKINS_URL=http://jenkins expect "$name" fail tools/ci/deploy.sh apply dev &&
  { has "$out" 'shipyard-tf-backend' && ! has "$FAKE_LOG" terraform && ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy: an unknown environment is refused, naming those environments.json lists'
expect "$name" fail tools/ci/deploy.sh apply qa && { has "$out" 'synthesized: dev prod' && ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy: the environments come from environments.json, not a list in the scripts'
echo '{"environments": ["dev", "prod", "staging"]}' >"$repo/dist/k8s-manifests/environments.json"
expect "$name" fail tools/ci/deploy.sh apply staging && { has "$out" 'synth --env=staging' && ok "$name" || fail "$name: $(cat "$out")"; }
echo '{"environments": ["dev", "prod"]}' >"$repo/dist/k8s-manifests/environments.json"

image=shipyard-api:1.2.3-$commit
name='minikube-image: loads the image of this commit from Docker into the minikube profile and checks it is listed'
echo "$image" >"$FAKE_DOCKER_IMAGES" && rm -f "$FAKE_MINIKUBE_IMAGES"
MINIKUBE_PROFILE=shipyard-dev expect "$name" 0 tools/ci/minikube-image.sh &&
  { has "$FAKE_LOG" "minikube -p shipyard-dev image load $image" && has "$FAKE_LOG" 'minikube -p shipyard-dev image ls' &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='minikube-image: without the built image, stops naming build-image.sh and loads nothing'
: >"$FAKE_DOCKER_IMAGES"
expect "$name" fail tools/ci/minikube-image.sh &&
  { has "$out" 'build-image.sh' && ! has "$FAKE_LOG" 'image load' && ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy --image=minikube: dev runs the loaded image (image_repository=shipyard-api), never ECR even when ECR_REPOSITORY is set'
echo "docker.io/library/$image" >"$FAKE_MINIKUBE_IMAGES"
ECR_REPOSITORY=$ecr expect "$name" 0 tools/ci/deploy.sh apply dev --image=minikube &&
  { has "$FAKE_LOG" "-var image_repository=shipyard-api" && has "$FAKE_LOG" "-var image_tag=1.2.3-$commit" &&
    ! grep -q 'dkr.ecr' "$FAKE_LOG" && ! grep -q '^aws ' "$FAKE_LOG" && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy --image=minikube: refuses before terraform when minikube does not have the image, naming minikube-image.sh'
: >"$FAKE_MINIKUBE_IMAGES"
expect "$name" fail tools/ci/deploy.sh apply dev --image=minikube &&
  { has "$out" 'minikube-image.sh' && ! has "$FAKE_LOG" ' apply ' && ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy --image=minikube: refuses a chart whose pull policy is Always (the kubelet would pull anyway)'
echo "docker.io/library/$image" >"$FAKE_MINIKUBE_IMAGES"
manifest=$repo/dist/k8s-manifests/dev/templates/manifests.yaml
sed -i 's/IfNotPresent/Always/' "$manifest"
expect "$name" fail tools/ci/deploy.sh apply dev --image=minikube &&
  { has "$out" 'imagePullPolicy: Always' && ! has "$FAKE_LOG" ' apply ' && ok "$name" || fail "$name: $(cat "$out")"; }
sed -i 's/Always/IfNotPresent/' "$manifest"

name='deploy --platform=aws: kube context from update-kubeconfig of the cluster_name output; image and secrets from the outputs'
(unset KUBECONFIG && expect "$name" 0 tools/ci/deploy.sh plan prod dist/terraform/prod.tfplan --platform=aws) &&
  { has "$FAKE_LOG" 'terraform -chdir=terraform/aws output -json' &&
    has "$FAKE_LOG" 'aws eks update-kubeconfig --region eu-west-1 --name shipyard-prod-eks --alias shipyard-prod --kubeconfig ' &&
    has "$FAKE_LOG" '-var kubeconfig_path=.kubeconfig-prod -var kube_context=shipyard-prod' &&
    has "$FAKE_LOG" "-var image_repository=$ecr -var secrets_source=aws-secrets-manager -var aws_region=eu-west-1" &&
    has "$FAKE_LOG" '-var app_role_arn=arn:aws:iam::123456789012:role/shipyard-prod-api' &&
    has "$FAKE_LOG" '-var app_secret_arns={"DB_PASSWORD":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/DB_PASSWORD-AbCdEf","SECRET_KEY":' &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy --platform=aws: apply-plan gets the kube context again from the outputs and applies exactly the saved plan'
(unset KUBECONFIG && expect "$name" 0 tools/ci/deploy.sh apply-plan prod dist/terraform/prod.tfplan --platform=aws) &&
  { has "$FAKE_LOG" 'aws eks update-kubeconfig' && has "$FAKE_LOG" "apply -input=false -lock-timeout=5m $repo/dist/terraform/prod.tfplan" &&
    ! grep -q 'apply.*-var' "$FAKE_LOG" && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='deploy --platform=aws: refuses when ECR_REPOSITORY differs from the ecr_repository_url output, naming both'
ECR_REPOSITORY=999999999999.dkr.ecr.eu-west-1.amazonaws.com/other expect "$name" fail tools/ci/deploy.sh plan prod dist/terraform/prod.tfplan --platform=aws &&
  { has "$out" '999999999999.dkr.ecr.eu-west-1.amazonaws.com/other' && has "$out" "$ecr" && ! has "$FAKE_LOG" 'terraform -chdir=terraform plan' &&
    ok "$name" || fail "$name: $(cat "$out")"; }

name='deploy --platform=aws: refuses when the platform has no Secrets Manager ARN for a contract secret key, naming it'
write_outputs SECRET_KEY
expect "$name" fail tools/ci/deploy.sh plan prod dist/terraform/prod.tfplan --platform=aws &&
  { has "$out" 'no secret for DB_PASSWORD' && ! has "$FAKE_LOG" 'terraform -chdir=terraform plan' && ok "$name" || fail "$name: $(cat "$out")"; }
write_outputs DB_PASSWORD SECRET_KEY

echo 'hosted_zone_id = "Z1"' >"$sandbox/platform.tfvars"
name='platform plan: saves the terraform/aws plan with the tfvars and the env contract; a change is recorded as changes=true'
PLATFORM_TFVARS=$sandbox/platform.tfvars FAKE_TF_PLAN_EXIT=2 expect "$name" 0 tools/ci/platform.sh plan prod dist/terraform/platform.tfplan &&
  { has "$FAKE_LOG" "terraform -chdir=terraform/aws plan -input=false -lock-timeout=5m -detailed-exitcode -out=$repo/dist/terraform/platform.tfplan -var-file=$sandbox/platform.tfvars -var contract_path=../../dist/k8s-manifests/prod/contract.json" &&
    [[ $(cat "$repo/dist/terraform/platform.tfplan.changes") == true ]] && has "$repo/dist/terraform/platform.tfplan.txt" 'Plan: 3 to add' &&
    ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='platform plan: an unchanged platform is recorded as changes=false; a failed plan fails'
PLATFORM_TFVARS=$sandbox/platform.tfvars FAKE_TF_PLAN_EXIT=0 expect "$name" 0 tools/ci/platform.sh plan prod dist/terraform/platform.tfplan &&
  { [[ $(cat "$repo/dist/terraform/platform.tfplan.changes") == false ]] || fail "$name: changes is $(cat "$repo/dist/terraform/platform.tfplan.changes")"; } &&
  PLATFORM_TFVARS=$sandbox/platform.tfvars FAKE_TF_PLAN_EXIT=1 expect "$name" fail tools/ci/platform.sh plan prod dist/terraform/platform.tfplan &&
  { has "$out" 'plan of terraform/aws failed' && ok "$name" || fail "$name: $(cat "$out")"; }

name='platform plan: without PLATFORM_TFVARS, stops naming the credential; under Jenkins without TF_BACKEND_CONFIG, refuses'
expect "$name" fail tools/ci/platform.sh plan prod dist/terraform/platform.tfplan && has "$out" 'shipyard-platform-tfvars' &&
  JENKINS_URL=http://jenkins PLATFORM_TFVARS=$sandbox/platform.tfvars expect "$name" fail tools/ci/platform.sh plan prod dist/terraform/platform.tfplan &&
  { has "$out" 'shipyard-tf-backend' && ! has "$FAKE_LOG" terraform && ok "$name" || fail "$name: $(cat "$out")"; }

name='platform apply-plan: applies exactly the saved plan, from S3 state key shipyard/prod/aws.tfstate'
TF_BACKEND_CONFIG=$sandbox/backend.hcl expect "$name" 0 tools/ci/platform.sh apply-plan prod dist/terraform/platform.tfplan &&
  { has "$FAKE_LOG" "-backend-config=key=shipyard/prod/aws.tfstate" && has "$FAKE_LOG" "terraform -chdir=terraform/aws apply -input=false -lock-timeout=5m $repo/dist/terraform/platform.tfplan" &&
    ! grep -q 'apply.*-var' "$FAKE_LOG" && [[ ! -e $repo/terraform/aws/backend_override.tf ]] && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='platform apply-plan: refuses a plan file that is not there, naming how to make it, and applies nothing'
expect "$name" fail tools/ci/platform.sh apply-plan prod dist/terraform/missing.tfplan &&
  { has "$out" 'platform.sh plan prod dist/terraform/missing.tfplan' && ! has "$FAKE_LOG" ' apply ' && ok "$name" || fail "$name: $(cat "$out")"; }

name='smoke-test --platform=aws: checks prod through the api_url output (the ALB), over the platform kube context'
(unset KUBECONFIG && expect "$name" 0 tools/ci/smoke-test.sh prod --platform=aws) &&
  { has "$FAKE_LOG" 'curl -s -o /dev/null -w %{http_code} --max-time 5 https://api.example.com/readyz' && has "$FAKE_LOG" 'aws eks update-kubeconfig' &&
    ! has "$FAKE_LOG" port-forward && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }

name='sonar-scan: without coverage reports it stops, naming how to make them'
expect "$name" fail env SONAR_HOST_URL=http://sonar tools/ci/sonar-scan.sh &&
  { has "$out" 'run-many -t test --coverage' && ! has "$FAKE_LOG" sonar-scanner && ok "$name" || fail "$name: $(cat "$out")"; }

name='sonar-scan: passes every coverage/**/lcov.info to SonarQube'
mkdir -p "$repo/coverage/apps/api" "$repo/coverage/libs/config" && touch "$repo/coverage/apps/api/lcov.info" "$repo/coverage/libs/config/lcov.info"
expect "$name" 0 env SONAR_HOST_URL=http://sonar tools/ci/sonar-scan.sh &&
  { has "$FAKE_LOG" '-Dsonar.javascript.lcov.reportPaths=coverage/apps/api/lcov.info,coverage/libs/config/lcov.info' && ok "$name" || fail "$name: $(cat "$FAKE_LOG")"; }
rm -rf "$repo/coverage"

name='image-tag: <apps/api version>-<short commit>'
expect "$name" 0 tools/ci/image-tag.sh && { [[ $(cat "$out") == "1.2.3-$commit" ]] && ok "$name" || fail "$name: $(cat "$out")"; }

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
