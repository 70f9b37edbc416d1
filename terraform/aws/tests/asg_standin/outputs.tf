output "autoscaling_group_name" {
  description = "Name of the stand-in Auto Scaling group."
  value       = aws_autoscaling_group.standin.name
}
