output "release_name" {
  description = "Helm release name."
  value       = local.contract.release_name

  precondition {
    condition     = local.contract.schema_version == 1
    error_message = "${local.chart_dir}/contract.json has schema_version ${local.contract.schema_version}; this module reads version 1. Update terraform/modules/release or re-run `npx nx run k8s-manifests:synth --env=${var.env}`."
  }
}

output "release_namespace" {
  description = "Namespace that holds the Helm release record; the chart creates its own app namespace, so this is not it."
  value       = local.contract.release_namespace
}

output "namespace" {
  description = "Namespace the chart deploys the app into."
  value       = local.contract.namespace
}

output "chart_path" {
  # Not abspath(): a saved plan records it, and must apply from another checkout path (relative to the
  # working directory Terraform runs in, as Helm resolves it).
  description = "Path of the synthesized Helm chart for env: manifests_dir/env, absolute only if manifests_dir is."
  value       = local.chart_dir
}

output "secret_keys" {
  description = "Keys of the chart's Secret; each is set as the Helm value secrets.<key>."
  value       = local.contract.secret_keys
}

output "generated_secret_keys" {
  description = "Secret keys whose values the root module generates (random_password) and sets as Helm values secrets.<key>: all of secret_keys with secrets_source = \"random\", none with \"aws-secrets-manager\"."
  value       = local.use_secrets_manager ? [] : local.contract.secret_keys
}

output "secrets_source" {
  description = "secrets_source as given: \"random\" or \"aws-secrets-manager\"."
  value       = var.secrets_source
}

output "helm_values" {
  description = "Non-secret Helm values: image, secretsSource, serviceAccount.roleArn when given, awsSecretsManager (region, secretIds) with Secrets Manager. Secret values are set separately."
  value       = local.helm_values
}

output "service_name" {
  description = "Name of the app's NodePort Service."
  value       = local.contract.service_name
}

output "node_port" {
  description = "NodePort the Service exposes on every node."
  value       = local.contract.node_port
}

output "enable_monitoring" {
  description = "Whether the monitoring stack is to be installed before the app."
  value       = local.enable_monitoring
}

output "monitoring_stack_release" {
  description = "Release name for kube-prometheus-stack: the chart labels its ServiceMonitor and rules with it."
  value       = local.contract.monitoring_stack_release
}

output "monitoring_namespace" {
  description = "Namespace kube-prometheus-stack must run in: the chart's NetworkPolicy admits its Prometheus there only."
  value       = local.contract.monitoring_namespace
}

output "minikube_service_command" {
  description = "Command that prints the URL of the app's NodePort on minikube."
  value       = "minikube service ${local.contract.service_name} -n ${local.contract.namespace} --url"
}
