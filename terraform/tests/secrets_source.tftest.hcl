# The root module's resources per secrets_source, planned with mocked providers (no cluster): random_password
# and set_sensitive only with "random"; with "aws-secrets-manager" neither, and the chart gets role, region and
# ARNs as plain values. Needs the providers' schemas, so terraform/lint.sh runs it (in a copy, in workspace
# prod, with -var manifests_dir=<abs dist/k8s-manifests>); modules/release's tests cover the validations.

mock_provider "helm" {}
mock_provider "random" {}

variables {
  env = "prod"
  arns = {
    SECRET_KEY  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets/SECRET_KEY-AbCdEf"
    DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets/DB_PASSWORD-AbCdEf"
  }
}

run "random_generates_every_secret_and_sets_it_sensitive" {
  command = plan

  assert {
    condition     = toset(keys(random_password.secret)) == toset(module.release.secret_keys)
    error_message = "random_password instances ${jsonencode(keys(random_password.secret))} are not one per secret key."
  }

  assert {
    condition     = length(helm_release.app.set_sensitive) == length(module.release.secret_keys)
    error_message = "helm_release.app does not set every secret as a sensitive value."
  }
}

run "secrets_manager_has_no_random_password_and_passes_role_region_and_arns" {
  command = plan

  variables {
    secrets_source  = "aws-secrets-manager"
    aws_region      = "eu-west-1"
    app_role_arn    = "arn:aws:iam::123456789012:role/shipyard-prod-api"
    app_secret_arns = var.arns
  }

  assert {
    condition     = length(random_password.secret) == 0
    error_message = "With Secrets Manager the plan still has random_password instances: ${jsonencode(keys(random_password.secret))}."
  }

  assert {
    condition     = length(helm_release.app.set_sensitive) == 0
    error_message = "With Secrets Manager helm_release.app still sets sensitive values."
  }

  assert {
    condition = yamldecode(helm_release.app.values[0]) == merge(module.release.helm_values, {
      secretsSource     = "aws-secrets-manager"
      serviceAccount    = { roleArn = "arn:aws:iam::123456789012:role/shipyard-prod-api" }
      awsSecretsManager = { region = "eu-west-1", secretIds = var.arns }
    })
    error_message = "The chart's values are not image, secretsSource, role, region and ARNs: ${helm_release.app.values[0]}"
  }
}

run "secret_rotation_is_refused_with_secrets_manager" {
  command = plan

  variables {
    secrets_source  = "aws-secrets-manager"
    aws_region      = "eu-west-1"
    app_role_arn    = "arn:aws:iam::123456789012:role/shipyard-prod-api"
    app_secret_arns = var.arns
    secret_rotation = { DB_PASSWORD = "2026-12-02" }
  }

  expect_failures = [helm_release.app]
}
