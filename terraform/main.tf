locals {
  manifests_dir = coalesce(var.manifests_dir, "${path.module}/../dist/k8s-manifests")
}

# One workspace, hence one state, per environment: env B applied to env A's state is refused at plan.
module "workspace_guard" {
  source = "./modules/workspace_guard"

  env       = var.env
  workspace = terraform.workspace
}

module "release" {
  source = "./modules/release"

  env               = var.env
  manifests_dir     = local.manifests_dir
  image_tag         = var.image_tag
  image_repository  = var.image_repository
  enable_monitoring = var.enable_monitoring
  secrets_source    = var.secrets_source
  aws_region        = var.aws_region
  app_role_arn      = var.app_role_arn
  app_secret_arns   = var.app_secret_arns
}

# With secrets_source = "random": one value per secret key the chart needs. The keepers pin it to this release:
# a value changes only when the release is renamed or its secret_rotation entry is changed on purpose.
# With "aws-secrets-manager" there is none: External Secrets Operator reads Secrets Manager, and no secret
# value enters this state.
resource "random_password" "secret" {
  for_each = toset(module.release.generated_secret_keys)

  length  = 32
  special = true
  # No ',', '\', '=', '{}', '[]': Helm's --set parser gives them a meaning even for string values.
  override_special = "!#%*()-_+:?"
  min_lower        = 4
  min_upper        = 4
  min_numeric      = 4

  keepers = {
    release  = module.release.release_name
    rotation = lookup(var.secret_rotation, each.key, "")
  }
}

# Provides the Prometheus Operator CRDs (ServiceMonitor) that a chart synthesized with monitoring uses.
resource "helm_release" "monitoring" {
  count = module.release.enable_monitoring ? 1 : 0

  name             = module.release.monitoring_stack_release
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = var.monitoring_chart_version
  namespace        = module.release.monitoring_namespace
  create_namespace = true
  atomic           = true
  wait             = true
  timeout          = 600

  # By default Prometheus only selects ServiceMonitors labelled with its own release and Grafana only reads
  # dashboards from its own namespace; the app ships both in its namespace.
  values = [yamlencode({
    prometheus = { prometheusSpec = { serviceMonitorSelectorNilUsesHelmValues = false } }
    grafana    = { sidecar = { dashboards = { searchNamespace = "ALL" } } }
  })]
}

resource "helm_release" "app" {
  name  = module.release.release_name
  chart = module.release.chart_path
  # The chart creates and labels its own namespace, so the release record lives outside it.
  namespace        = module.release.release_namespace
  create_namespace = false

  values = [yamlencode(module.release.helm_values)]
  set_sensitive = [for key in module.release.generated_secret_keys : {
    name  = "secrets.${key}"
    value = random_password.secret[key].result
    type  = "string"
  }]

  atomic          = true
  wait            = true
  cleanup_on_fail = true
  timeout         = var.helm_timeout_seconds
  max_history     = 10

  depends_on = [helm_release.monitoring]

  lifecycle {
    precondition {
      condition     = alltrue([for key in keys(var.secret_rotation) : contains(module.release.secret_keys, key)])
      error_message = "secret_rotation has keys that are not secrets of the ${var.env} chart; valid keys: ${join(", ", module.release.secret_keys)}."
    }

    precondition {
      condition     = length(var.secret_rotation) == 0 || module.release.secrets_source == "random"
      error_message = "secret_rotation regenerates values this state generates; with secrets_source = \"aws-secrets-manager\" there are none: rotate in Secrets Manager (the ExternalSecret picks the new value up within its refresh interval)."
    }
  }
}
