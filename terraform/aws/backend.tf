# Partial configuration: bucket, key and region are given at `terraform init` (see README). `terraform test`
# and run-tests.sh (`init -backend=false`) never touch it.
terraform {
  backend "s3" {}
}
