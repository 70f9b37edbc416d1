locals {
  # Values TypeScript owns arrive through the deploy contract; see ARCHITECTURE.md.
  contract = jsondecode(file(var.contract_path))

  name = "${var.project}-${local.contract.env}"

  tags = merge(var.tags, {
    Project     = var.project
    Environment = local.contract.env
    ManagedBy   = "terraform"
    Source      = "terraform/aws"
  })

  # Named zones, not "the first two available": an impaired or newly added zone must never move the subnets.
  wanted_azs = length(var.availability_zones) > 0 ? var.availability_zones : ["${local.region}a", "${local.region}b"]
  azs        = data.aws_availability_zones.selected.names

  # /20 per subnet: public 0-1, private 8-9, so each tier can grow without renumbering the other.
  public_subnets  = { for index, az in local.azs : az => cidrsubnet(var.vpc_cidr, 4, index) }
  private_subnets = { for index, az in local.azs : az => cidrsubnet(var.vpc_cidr, 4, index + 8) }

  # The nodes have no route to the internet; these are the AWS APIs they and the app call.
  interface_endpoint_services = toset(["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager"])

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  oidc_issuer_host    = replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")
  app_service_account = "system:serviceaccount:${local.contract.namespace}:${local.contract.service_account_name}"

  app_secret_names = { for key in local.contract.secret_keys : key => "${local.contract.namespace}/${local.contract.secret_name}/${key}" }
}
