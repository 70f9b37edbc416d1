output "hosted_zone_id" {
  description = "ID of the test hosted zone."
  value       = aws_route53_zone.test.zone_id
}

output "rotation_lambda_arn" {
  description = "ARN of the stub rotation Lambda."
  value       = aws_lambda_function.rotation.arn
}
