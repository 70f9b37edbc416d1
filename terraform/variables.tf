# env is validated once, in modules/release, against the environments synth wrote; it is passed on unchanged.
variable "env" {
  description = "Environment to deploy, as synthesized by `npx nx run k8s-manifests:synth` (see dist/k8s-manifests/environments.json)."
  type        = string
}

variable "manifests_dir" {
  description = "Directory synth writes the charts to; null means dist/k8s-manifests at the repository root."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Image tag to deploy; null deploys the app version the chart was synthesized from."
  type        = string
  default     = null
}

variable "image_repository" {
  description = "Image repository to deploy; null uses the repository from the deploy contract."
  type        = string
  default     = null
}

variable "enable_monitoring" {
  description = "Install kube-prometheus-stack before the app (its CRDs back the chart's ServiceMonitor); null follows the env's contract."
  type        = bool
  default     = null
}

variable "monitoring_chart_version" {
  description = "Pinned kube-prometheus-stack chart version, installed when monitoring is enabled."
  type        = string
  default     = "80.4.1"
}

variable "kubeconfig_path" {
  description = "Path of the kubeconfig Helm uses to reach the cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "kubeconfig context to deploy to."
  type        = string
  default     = "minikube"
}

variable "helm_timeout_seconds" {
  description = "How long Helm waits for the release to become ready before rolling it back."
  type        = number
  default     = 300

  validation {
    condition     = var.helm_timeout_seconds >= 30
    error_message = "helm_timeout_seconds must be at least 30: pods need time to pass their startup probe."
  }
}

variable "secret_rotation" {
  description = "Per secret key, any string (a date, a ticket): changing it generates a new value for that secret on the next apply. Keys must be secret keys of the contract."
  type        = map(string)
  default     = {}
}

# The four below are validated once, in modules/release, against the env's contract (like env).
variable "secrets_source" {
  description = "Where the app's secrets come from: \"random\" (default; random_password values in this state, set as Helm values) or \"aws-secrets-manager\" (External Secrets Operator syncs them from Secrets Manager into the app's Secret: no random_password, no secret in this state). Only envs whose contract offers it (prod)."
  type        = string
  default     = "random"
  nullable    = false
}

variable "aws_region" {
  description = "With secrets_source = \"aws-secrets-manager\": AWS region of the secrets (where terraform/aws was applied)."
  type        = string
  default     = null
}

variable "app_role_arn" {
  description = "IAM role ARN for the app's ServiceAccount (IRSA annotation): terraform/aws's output app_role_arn. Required with secrets_source = \"aws-secrets-manager\"."
  type        = string
  default     = null
}

variable "app_secret_arns" {
  description = "With secrets_source = \"aws-secrets-manager\": Secrets Manager ARN per contract secret key, exactly the contract's keys: terraform/aws's output app_secret_arns."
  type        = map(string)
  default     = null
}
