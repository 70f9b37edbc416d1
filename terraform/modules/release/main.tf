locals {
  environments_file        = "${var.manifests_dir}/environments.json"
  synthesized_environments = try(jsondecode(file(local.environments_file)).environments, [])

  chart_dir = "${var.manifests_dir}/${var.env}"
  contract  = jsondecode(file("${local.chart_dir}/contract.json"))

  enable_monitoring = coalesce(var.enable_monitoring, local.contract.monitoring_enabled)

  # Terraform's secrets_source -> the chart's Helm value secretsSource. Read with try() as well: the variables'
  # validations use them, and must not fail on an unknown env before env's own validation speaks.
  chart_secrets_sources = { "random" = "helm-values", "aws-secrets-manager" = "aws-secrets-manager" }
  offered_secret_sources = try(
    jsondecode(file("${local.chart_dir}/contract.json")).secret_sources, ["helm-values"]
  )
  contract_secret_keys = try(jsondecode(file("${local.chart_dir}/contract.json")).secret_keys, [])
  use_secrets_manager  = var.secrets_source == "aws-secrets-manager"
  secret_arn_pattern   = "^arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$"

  # The image, the secrets source and what it needs; never a secret value (those are set apart, and only with
  # secrets_source = "random"). merge() skips the null arguments.
  helm_values = merge(
    local.contract.helm_values,
    {
      image = merge(local.contract.helm_values.image, {
        repository = coalesce(var.image_repository, local.contract.helm_values.image.repository)
        tag        = coalesce(var.image_tag, local.contract.app_version)
      })
      secretsSource = local.chart_secrets_sources[var.secrets_source]
    },
    var.app_role_arn == null ? null : { serviceAccount = { roleArn = var.app_role_arn } },
    local.use_secrets_manager ? {
      awsSecretsManager = { region = var.aws_region, secretIds = var.app_secret_arns }
    } : null,
  )
}

# A chart built with monitoring ships a ServiceMonitor, whose CRD only exists once a Prometheus Operator is installed.
check "monitoring_crds" {
  assert {
    condition     = local.enable_monitoring || !local.contract.monitoring_enabled
    error_message = "The ${var.env} chart was synthesized with monitoring (ServiceMonitor), but enable_monitoring = false: the install fails unless the Prometheus Operator CRDs are already in the cluster."
  }
}
