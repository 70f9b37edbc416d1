output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (ALB), one per availability zone."
  value       = [for subnet in aws_subnet.public : subnet.id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (EKS control plane ENIs, nodes, endpoints), one per availability zone."
  value       = [for subnet in aws_subnet.private : subnet.id]
}

output "api_url" {
  description = "Public HTTPS URL of the API."
  value       = "https://${aws_route53_record.api.fqdn}"
}

output "alb_dns_name" {
  description = "DNS name of the ALB that the API alias points at."
  value       = aws_lb.api.dns_name
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate served by the HTTPS listener."
  value       = aws_acm_certificate_validation.api.certificate_arn
}

output "region" {
  description = "AWS region of the platform (`aws eks update-kubeconfig --region <this>`; the root module's aws_region)."
  value       = local.region
}

output "cluster_name" {
  description = "Name of the EKS cluster (`aws eks update-kubeconfig --name <this>`)."
  value       = aws_eks_cluster.main.name
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API."
  value       = aws_eks_cluster.main.endpoint
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider that backs IRSA."
  value       = aws_iam_openid_connect_provider.eks.arn
}

output "app_role_arn" {
  description = "Role for the app's ServiceAccount; set it as the eks.amazonaws.com/role-arn annotation."
  value       = aws_iam_role.app.arn
}

output "app_secret_arns" {
  description = "Secrets Manager ARNs of the app's secrets, by contract secret key."
  value       = { for key, secret in aws_secretsmanager_secret.app : key => secret.arn }
}

output "ecr_repository_url" {
  description = "ECR repository the pipeline pushes the API image to (helm value image.repository in prod)."
  value       = aws_ecr_repository.app.repository_url
}

output "node_group_autoscaling_group_names" {
  description = "Auto Scaling groups that EKS created for the managed node group."
  value       = aws_eks_node_group.main.resources[0].autoscaling_groups[*].name
}
