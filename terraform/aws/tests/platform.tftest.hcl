# Applies the whole platform to moto (started by ../run-tests.sh, which passes moto_endpoint in a var file)
# and checks what a user relies on. terraform test destroys everything at the end.

variables {
  contract_path               = "../../dist/k8s-manifests/prod/contract.json"
  api_domain_name             = "api.shipyard.test"
  hosted_zone_id              = "Z0000000000000000000"
  rotation_lambda_arn         = "arn:aws:lambda:eu-west-1:123456789012:function:placeholder"
  deletion_protection         = false
  secret_recovery_window_days = 0
  kms_deletion_window_days    = 7
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "moto"
  secret_key                  = "moto"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    acm            = var.moto_endpoint
    autoscaling    = var.moto_endpoint
    cloudwatchlogs = var.moto_endpoint
    ec2            = var.moto_endpoint
    ecr            = var.moto_endpoint
    eks            = var.moto_endpoint
    elbv2          = var.moto_endpoint
    iam            = var.moto_endpoint
    kms            = var.moto_endpoint
    lambda         = var.moto_endpoint
    route53        = var.moto_endpoint
    s3             = var.moto_endpoint
    secretsmanager = var.moto_endpoint
    sts            = var.moto_endpoint
  }
}

run "rejects_missing_contract" {
  command = plan

  variables {
    contract_path = "../../dist/k8s-manifests/prod/does-not-exist.json"
  }

  expect_failures = [var.contract_path]
}

run "rejects_world_open_kubernetes_api" {
  command = plan

  variables {
    cluster_endpoint_public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.cluster_endpoint_public_access_cidrs]
}

run "setup" {
  module {
    source = "./tests/setup"
  }

  variables {
    zone_name = "shipyard.test"
  }
}

run "platform" {
  command = apply

  variables {
    hosted_zone_id      = run.setup.hosted_zone_id
    rotation_lambda_arn = run.setup.rotation_lambda_arn
    # moto has no Auto Scaling group behind an EKS node group; the "register_nodes" run attaches it.
    attach_node_group_to_target_group = false
  }

  assert {
    condition     = length(aws_lb.api.subnets) == 2 && length(distinct([for subnet in aws_subnet.public : subnet.availability_zone if contains(tolist(aws_lb.api.subnets), subnet.id)])) == 2
    error_message = "The ALB must sit in public subnets of two different availability zones."
  }

  assert {
    condition     = aws_lb.api.internal == false && alltrue([for subnet in aws_subnet.public : contains(tolist(aws_lb.api.subnets), subnet.id)])
    error_message = "The ALB must be internet-facing in the public subnets."
  }

  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && aws_lb_listener.https.port == 443 && aws_lb_listener.https.certificate_arn == aws_acm_certificate.api.arn
    error_message = "The HTTPS listener must serve the ACM certificate issued for the API host name."
  }

  assert {
    condition     = aws_acm_certificate.api.domain_name == var.api_domain_name && aws_acm_certificate.api.validation_method == "DNS" && length(aws_route53_record.certificate_validation) == 1
    error_message = "The certificate must be for the API host name and validated through a Route 53 DNS record."
  }

  assert {
    condition     = aws_lb_listener.https.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" && aws_lb_listener.https.default_action[0].target_group_arn == aws_lb_target_group.app.arn
    error_message = "The HTTPS listener must allow only TLS 1.2+ and forward to the app's target group."
  }

  assert {
    condition = (
      aws_lb_listener.http_redirect.port == 80 &&
      aws_lb_listener.http_redirect.default_action[0].type == "redirect" &&
      aws_lb_listener.http_redirect.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http_redirect.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http_redirect.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "Plain HTTP on port 80 must answer with a permanent redirect to HTTPS on 443."
  }

  assert {
    condition     = aws_route53_record.api.name == var.api_domain_name && aws_route53_record.api.alias[0].name == aws_lb.api.dns_name
    error_message = "The API host name must be a Route 53 alias of the ALB."
  }

  assert {
    condition     = aws_lb_target_group.app.port == jsondecode(file(var.contract_path)).node_port && aws_lb_target_group.app.target_type == "instance"
    error_message = "The target group must send traffic to the NodePort named in the deploy contract."
  }

  # The management port is not reachable from the ALB (ClusterIP Service only), so the health check stays on the
  # traffic port; terraform/aws/README.md, "Health checks", says what that costs.
  assert {
    condition = (
      aws_lb_target_group.app.health_check[0].port == "traffic-port" &&
      aws_lb_target_group.app.health_check[0].path == jsondecode(file(var.contract_path)).readiness_path &&
      aws_lb_target_group.app.health_check[0].matcher == "200" &&
      aws_lb_target_group.app.health_check[0].path != jsondecode(file(var.contract_path)).liveness_path
    )
    error_message = "The ALB health check must ask the contract's readiness_path (503 while a pod starts or drains) on the traffic port, the app's NodePort: the only port the ALB can reach, since the management port has no NodePort."
  }

  assert {
    condition     = output.region == "eu-west-1" && output.cluster_name == aws_eks_cluster.main.name && toset(keys(output.app_secret_arns)) == toset(jsondecode(file(var.contract_path)).secret_keys)
    error_message = "The outputs the pipeline connects with (tools/ci/platform.sh connect) must name the region, the cluster and one secret ARN per contract secret key."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.nodes_from_alb.referenced_security_group_id == aws_security_group.alb.id &&
      aws_vpc_security_group_ingress_rule.nodes_from_alb.from_port == jsondecode(file(var.contract_path)).node_port &&
      aws_vpc_security_group_ingress_rule.nodes_from_alb.to_port == jsondecode(file(var.contract_path)).node_port
    )
    error_message = "Only the ALB's security group may reach the nodes, and only on the app's NodePort."
  }

  assert {
    condition     = toset(aws_eks_node_group.main.subnet_ids) == toset([for subnet in aws_subnet.private : subnet.id])
    error_message = "The node group must run in the private subnets and only there."
  }

  assert {
    condition     = length(setintersection(toset(aws_eks_node_group.main.subnet_ids), toset([for subnet in aws_subnet.public : subnet.id]))) == 0 && length(distinct([for subnet in aws_subnet.private : subnet.availability_zone])) == 2
    error_message = "No node may land in a public subnet, and the private subnets must span two availability zones."
  }

  assert {
    condition     = alltrue([for route in aws_route_table.private.route : route.cidr_block != "0.0.0.0/0"]) && alltrue([for association in aws_route_table_association.private : association.route_table_id == aws_route_table.private.id])
    error_message = "The private subnets must have no default route to the internet."
  }

  assert {
    condition     = toset(aws_eks_cluster.main.vpc_config[0].subnet_ids) == toset([for subnet in aws_subnet.private : subnet.id]) && aws_eks_cluster.main.version == var.kubernetes_version && aws_eks_cluster.main.vpc_config[0].endpoint_public_access == false
    error_message = "The EKS control plane must use the private subnets, the requested version and a private API endpoint."
  }

  assert {
    condition = (
      length(jsondecode(aws_iam_role.app.assume_role_policy).Statement) == 1 &&
      jsondecode(aws_iam_role.app.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
      jsondecode(aws_iam_role.app.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.eks.arn &&
      keys(jsondecode(aws_iam_role.app.assume_role_policy).Statement[0].Condition) == ["StringEquals"]
    )
    error_message = "The app role must be assumable only through the cluster's OIDC provider, with exact (StringEquals) conditions."
  }

  assert {
    condition = (
      try(jsondecode(aws_iam_role.app.assume_role_policy).Statement[0].Condition.StringEquals["${replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")}:sub"], null) ==
      "system:serviceaccount:${jsondecode(file(var.contract_path)).namespace}:${jsondecode(file(var.contract_path)).service_account_name}"
    )
    error_message = "The app role's trust must name exactly the contract's ServiceAccount (system:serviceaccount:<namespace>:<name>)."
  }

  assert {
    condition     = try(jsondecode(aws_iam_role.app.assume_role_policy).Statement[0].Condition.StringEquals["${replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")}:aud"], null) == "sts.amazonaws.com"
    error_message = "The app role's trust must require the STS audience."
  }

  assert {
    condition = (
      toset(flatten([for statement in jsondecode(aws_iam_role_policy.app_secrets.policy).Statement : statement.Resource if statement.Sid == "ReadOwnSecrets"])) ==
      toset([for secret in aws_secretsmanager_secret.app : secret.arn])
    )
    error_message = "The app role may read its own secrets and no others."
  }

  assert {
    condition     = toset(keys(aws_secretsmanager_secret.app)) == toset(jsondecode(file(var.contract_path)).secret_keys) && alltrue([for secret in aws_secretsmanager_secret.app : secret.kms_key_id == aws_kms_key.secrets.arn])
    error_message = "There must be one secret per contract secret key, each encrypted with the module's own KMS key."
  }

  assert {
    condition     = alltrue([for rotation in aws_secretsmanager_secret_rotation.app : rotation.rotation_rules[0].automatically_after_days == 90 && rotation.rotation_lambda_arn == run.setup.rotation_lambda_arn])
    error_message = "Every secret must rotate every 90 days through the given rotation Lambda."
  }

  assert {
    condition     = aws_ecr_repository.app.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.app.image_scanning_configuration[0].scan_on_push
    error_message = "The ECR repository must have immutable tags and scan on push."
  }
}

run "asg_standin" {
  module {
    source = "./tests/asg_standin"
  }

  variables {
    name       = run.platform.node_group_autoscaling_group_names[0]
    subnet_ids = run.platform.private_subnet_ids
  }
}

run "register_nodes" {
  command = apply

  # Targeted: moto drops the description of security group rules that reference another group, so a full
  # re-apply would try ModifySecurityGroupRules, which moto rejects for protocol -1 (see README, moto gaps).
  plan_options {
    target = [
      aws_autoscaling_attachment.nodes,
      aws_acm_certificate_validation.api,
      aws_secretsmanager_secret_rotation.app,
    ]
  }

  variables {
    hosted_zone_id      = run.setup.hosted_zone_id
    rotation_lambda_arn = run.setup.rotation_lambda_arn
  }

  assert {
    condition     = aws_autoscaling_attachment.nodes[0].autoscaling_group_name == run.platform.node_group_autoscaling_group_names[0] && aws_autoscaling_attachment.nodes[0].lb_target_group_arn == aws_lb_target_group.app.arn
    error_message = "The node group's Auto Scaling group must be registered with the app's target group."
  }

  # No assert on the certificate's status or on rotation_enabled: moto reports ISSUED and enabled whatever the
  # configuration (README, moto gaps). The wiring they depend on is asserted in "platform".
}
