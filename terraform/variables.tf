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
