# Test fixture, applied only against moto: what the platform expects to exist already in a real account
# (a public hosted zone and a rotation Lambda owned by another team).

resource "aws_route53_zone" "test" {
  # checkov:skip=CKV2_AWS_38: moto-only test fixture standing in for the real zone; never deployed.
  # checkov:skip=CKV2_AWS_39: moto-only test fixture standing in for the real zone; never deployed.
  name          = var.zone_name
  force_destroy = true
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rotation" {
  name               = "shipyard-test-rotation"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

# moto runs with its Docker-free Lambda backend and never executes the image: invocations always succeed.
resource "aws_lambda_function" "rotation" {
  # checkov:skip=CKV_AWS_50: moto-only stub that is never executed or deployed.
  # checkov:skip=CKV_AWS_115: moto-only stub that is never executed or deployed.
  # checkov:skip=CKV_AWS_116: moto-only stub that is never executed or deployed.
  # checkov:skip=CKV_AWS_117: moto-only stub that is never executed or deployed.
  # checkov:skip=CKV_AWS_272: moto-only stub that is never executed or deployed.
  function_name = "shipyard-test-rotation"
  role          = aws_iam_role.rotation.arn
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/rotation:stub"
}

