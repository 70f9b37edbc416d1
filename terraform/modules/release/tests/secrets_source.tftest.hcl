# secrets_source: "random" (the default) generates the secrets in the root module; "aws-secrets-manager" hands
# the chart what External Secrets Operator needs (role, region, an ARN per key) and generates none. Only an env
# whose contract lists aws-secrets-manager in secret_sources may use it. test.sh checks the messages.

variables {
  manifests_dir = "../../../dist/k8s-manifests"
  role_arn      = "arn:aws:iam::123456789012:role/shipyard-prod-api"
}

run "random_is_the_default_and_generates_every_secret" {
  command = plan

  variables {
    env = "prod"
  }

  assert {
    condition     = output.secrets_source == "random" && output.helm_values.secretsSource == "helm-values"
    error_message = "The default is not random secrets set as Helm values: ${output.secrets_source}, ${output.helm_values.secretsSource}."
  }

  assert {
    condition     = output.generated_secret_keys == tolist(jsondecode(file("${var.manifests_dir}/prod/contract.json")).secret_keys)
    error_message = "generated_secret_keys ${jsonencode(output.generated_secret_keys)} are not every secret key of the prod contract."
  }

  assert {
    condition     = !contains(keys(output.helm_values), "awsSecretsManager") && !contains(keys(output.helm_values), "serviceAccount")
    error_message = "helm_values carry Secrets Manager settings or a role nobody asked for: ${jsonencode(output.helm_values)}."
  }
}

run "prod_from_secrets_manager_generates_nothing_and_passes_role_region_and_arns" {
  command = plan

  variables {
    env            = "prod"
    secrets_source = "aws-secrets-manager"
    aws_region     = "eu-west-1"
    app_role_arn   = var.role_arn
    app_secret_arns = {
      SECRET_KEY  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets/SECRET_KEY-AbCdEf"
      DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shipyard-prod/api-secrets/DB_PASSWORD-AbCdEf"
    }
  }

  assert {
    condition     = length(output.generated_secret_keys) == 0
    error_message = "With Secrets Manager the root module would still generate ${jsonencode(output.generated_secret_keys)}."
  }

  assert {
    condition     = output.helm_values.secretsSource == "aws-secrets-manager"
    error_message = "secretsSource is ${output.helm_values.secretsSource}."
  }

  assert {
    condition     = output.helm_values.serviceAccount == { roleArn = var.role_arn }
    error_message = "serviceAccount ${jsonencode(output.helm_values.serviceAccount)} does not carry the role."
  }

  assert {
    condition     = output.helm_values.awsSecretsManager.region == "eu-west-1" && output.helm_values.awsSecretsManager.secretIds == var.app_secret_arns
    error_message = "awsSecretsManager ${jsonencode(output.helm_values.awsSecretsManager)} is not the region and ARNs given."
  }

  # The chart's values schema refuses unknown keys: every key Terraform sets must be one it declares.
  assert {
    condition     = length(setsubtract(keys(output.helm_values), keys(jsondecode(file("${var.manifests_dir}/prod/values.schema.json")).properties))) == 0
    error_message = "helm_values keys ${jsonencode(keys(output.helm_values))} are not all in the prod chart's values.schema.json."
  }

  assert {
    condition     = toset(keys(output.helm_values.awsSecretsManager.secretIds)) == toset(jsondecode(file("${var.manifests_dir}/prod/values.schema.json")).allOf[1].then.properties.awsSecretsManager.properties.secretIds.required)
    error_message = "The ARNs' keys are not those the prod chart requires with aws-secrets-manager."
  }
}

run "a_role_alone_annotates_the_service_account_with_random_secrets" {
  command = plan

  variables {
    env          = "prod"
    app_role_arn = var.role_arn
  }

  assert {
    condition     = output.helm_values.serviceAccount.roleArn == var.role_arn && output.helm_values.secretsSource == "helm-values"
    error_message = "helm_values ${jsonencode(output.helm_values)} do not annotate the role while keeping random secrets."
  }
}

run "dev_cannot_use_secrets_manager" {
  command = plan

  variables {
    env            = "dev"
    secrets_source = "aws-secrets-manager"
    aws_region     = "eu-west-1"
    app_role_arn   = var.role_arn
    app_secret_arns = {
      SECRET_KEY  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"
      DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:b"
    }
  }

  expect_failures = [var.secrets_source]
}

run "unknown_secrets_source_is_rejected" {
  command = plan

  variables {
    env            = "prod"
    secrets_source = "vault"
  }

  expect_failures = [var.secrets_source]
}

run "secrets_manager_without_arns_or_region_or_role_is_rejected" {
  command = plan

  variables {
    env            = "prod"
    secrets_source = "aws-secrets-manager"
  }

  expect_failures = [var.aws_region, var.app_role_arn, var.app_secret_arns]
}

run "arns_with_an_unknown_or_a_missing_key_are_rejected" {
  command = plan

  variables {
    env            = "prod"
    secrets_source = "aws-secrets-manager"
    aws_region     = "eu-west-1"
    app_role_arn   = var.role_arn
    app_secret_arns = {
      SECRET_KEY = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"
      API_TOKEN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:b"
    }
  }

  expect_failures = [var.app_secret_arns]
}

run "a_malformed_secret_arn_is_rejected" {
  command = plan

  variables {
    env            = "prod"
    secrets_source = "aws-secrets-manager"
    aws_region     = "eu-west-1"
    app_role_arn   = var.role_arn
    app_secret_arns = {
      SECRET_KEY  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"
      DB_PASSWORD = "shipyard-prod/api-secrets/DB_PASSWORD"
    }
  }

  expect_failures = [var.app_secret_arns]
}

run "a_malformed_role_arn_is_rejected" {
  command = plan

  variables {
    env          = "prod"
    app_role_arn = "arn:aws:iam::12345:role/api"
  }

  expect_failures = [var.app_role_arn]
}

run "secrets_manager_settings_without_secrets_manager_are_rejected" {
  command = plan

  variables {
    env        = "prod"
    aws_region = "eu-west-1"
    app_secret_arns = {
      SECRET_KEY  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"
      DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:b"
    }
  }

  expect_failures = [var.aws_region, var.app_secret_arns]
}
