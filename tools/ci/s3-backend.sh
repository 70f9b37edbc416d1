#!/usr/bin/env bash
# The one backend style of both Terraform roots (terraform/ and terraform/aws/): their code declares no backend,
# so a laptop works with local state as is; shared state is S3, added by this override file and configured at
# init with -backend-config (bucket, region, use_lockfile, key). The file is gitignored (*_override.tf).
#   tools/ci/s3-backend.sh ROOT_DIR    writes ROOT_DIR/backend_override.tf
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"

[[ $# -eq 1 && -d $1 ]] || die "usage: tools/ci/s3-backend.sh ROOT_DIR (terraform or terraform/aws)"
printf 'terraform {\n  backend "s3" {}\n}\n' >"$1/backend_override.tf"
say "$1/backend_override.tf: S3 backend; pass its settings to terraform init with -backend-config"
