# Test fixture, applied only against moto: moto's EKS reports an Auto Scaling group for each managed node
# group but never creates it, so this creates an empty one under that name for the target group attachment.

resource "aws_launch_template" "standin" {
  name_prefix   = "asg-standin-"
  image_id      = "ami-12c6146b"
  instance_type = "t3.medium"

  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_autoscaling_group" "standin" {
  # checkov:skip=CKV_AWS_153: moto-only empty stand-in that never launches an instance.
  name                = var.name
  min_size            = 0
  max_size            = 0
  desired_capacity    = 0
  vpc_zone_identifier = var.subnet_ids

  launch_template {
    id      = aws_launch_template.standin.id
    version = aws_launch_template.standin.latest_version
  }

  lifecycle {
    ignore_changes = [load_balancers, target_group_arns]
  }
}
