variable "env" {
  description = "Environment to deploy; one of those listed in environments.json, written by `npx nx run k8s-manifests:synth`."
  type        = string
  nullable    = false

  validation {
    condition = contains(local.synthesized_environments, var.env)
    error_message = (fileexists(local.environments_file)
      ? "env \"${var.env}\" is not a synthesized environment; allowed: ${join(", ", local.synthesized_environments)} (from ${abspath(local.environments_file)})."
      : "${abspath(local.environments_file)} is missing: run `npx nx run k8s-manifests:synth` first."
    )
  }

  # A listed env whose chart is missing or was written for another env means dist/ is stale or hand-edited.
  validation {
    condition = !contains(local.synthesized_environments, var.env) || (
      fileexists("${var.manifests_dir}/${var.env}/Chart.yaml") &&
      try(jsondecode(file("${var.manifests_dir}/${var.env}/contract.json")).env == var.env, false)
    )
    error_message = "No chart synthesized for env \"${var.env}\" in ${abspath("${var.manifests_dir}/${var.env}")} (Chart.yaml and a contract.json for that env): run `npx nx run k8s-manifests:synth --env=${var.env}` first."
  }
}

variable "manifests_dir" {
  description = "Directory written by `npx nx run k8s-manifests:synth` (dist/k8s-manifests): environments.json and one chart per env."
  type        = string
  nullable    = false
}

variable "image_tag" {
  description = "Container image tag to deploy; null deploys the contract's app version (the chart's appVersion)."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid image tag (letters, digits, '_', '.', '-'; at most 128 characters; not starting with '.' or '-')."
  }
}

variable "image_repository" {
  description = "Container image repository to deploy; null uses the repository from the contract."
  type        = string
  default     = null

  validation {
    condition     = var.image_repository == null || can(regex("^[a-z0-9][a-z0-9._/:-]*$", var.image_repository))
    error_message = "image_repository must be an image reference without tag (lowercase letters, digits, '.', '_', '/', ':', '-')."
  }
}

variable "enable_monitoring" {
  description = "Install the monitoring stack the chart's ServiceMonitor needs; null follows the contract (monitoring_enabled of the env)."
  type        = bool
  default     = null
}
