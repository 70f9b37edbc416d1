# The platform is split by role: network.tf (VPC, subnets, routes, endpoints), security_groups.tf, alb.tf
# (ALB, ACM, Route 53), eks.tf (cluster, nodes), irsa.tf (app role), secrets.tf, kms.tf, ecr.tf, logs.tf.
# This file holds what they all read about the account and region.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_availability_zones" "selected" {
  filter {
    name   = "zone-name"
    values = local.wanted_azs
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 2
      error_message = "Availability zones ${join(", ", local.wanted_azs)} are not both available in ${local.region}; set availability_zones to two zones of this region."
    }
  }
}
