locals {
  environments_file        = "${var.manifests_dir}/environments.json"
  synthesized_environments = try(jsondecode(file(local.environments_file)).environments, [])

  chart_dir = "${var.manifests_dir}/${var.env}"
  contract  = jsondecode(file("${local.chart_dir}/contract.json"))

  enable_monitoring = coalesce(var.enable_monitoring, local.contract.monitoring_enabled)

  # Only the image is overridable; any other non-secret value is whatever synth wrote.
  helm_values = merge(local.contract.helm_values, {
    image = merge(local.contract.helm_values.image, {
      repository = coalesce(var.image_repository, local.contract.helm_values.image.repository)
      tag        = coalesce(var.image_tag, local.contract.app_version)
    })
  })
}

# A chart built with monitoring ships a ServiceMonitor, whose CRD only exists once a Prometheus Operator is installed.
check "monitoring_crds" {
  assert {
    condition     = local.enable_monitoring || !local.contract.monitoring_enabled
    error_message = "The ${var.env} chart was synthesized with monitoring (ServiceMonitor), but enable_monitoring = false: the install fails unless the Prometheus Operator CRDs are already in the cluster."
  }
}
