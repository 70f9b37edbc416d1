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

variable "secrets_source" {
  description = "Where the app's secrets come from: \"random\" (random_password values in this state, set as Helm values) or \"aws-secrets-manager\" (External Secrets Operator syncs them from Secrets Manager; no secret in this state). Only envs whose contract lists aws-secrets-manager in secret_sources may use the latter."
  type        = string
  default     = "random"
  nullable    = false

  validation {
    condition     = contains(keys(local.chart_secrets_sources), var.secrets_source)
    error_message = "secrets_source \"${var.secrets_source}\" is unknown: use \"random\" (generated here) or \"aws-secrets-manager\" (External Secrets Operator, prod on AWS)."
  }

  validation {
    condition     = !contains(keys(local.chart_secrets_sources), var.secrets_source) || contains(local.offered_secret_sources, lookup(local.chart_secrets_sources, var.secrets_source, ""))
    error_message = "secrets_source \"${var.secrets_source}\" is not offered by env \"${var.env}\": its contract (secret_sources in ${var.manifests_dir}/${var.env}/contract.json) allows only ${join(", ", [for name, chart in local.chart_secrets_sources : "\"${name}\"" if contains(local.offered_secret_sources, chart)])}. Secrets Manager exists only where terraform/aws built the platform (prod)."
  }
}

variable "aws_region" {
  description = "With secrets_source = \"aws-secrets-manager\": the AWS region of the secrets (the region terraform/aws was applied in). Required then, refused otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.aws_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region such as eu-west-1 (got \"${coalesce(var.aws_region, "null")}\")."
  }

  validation {
    condition = (var.aws_region != null) == (var.secrets_source == "aws-secrets-manager")
    error_message = (var.aws_region == null
      ? "aws_region is required with secrets_source = \"aws-secrets-manager\": pass the region terraform/aws was applied in (-var aws_region=eu-west-1)."
      : "aws_region is used only with secrets_source = \"aws-secrets-manager\" (it is \"${var.secrets_source}\"): drop it, or set -var secrets_source=aws-secrets-manager."
    )
  }
}

variable "app_role_arn" {
  description = "IAM role for the app's ServiceAccount (IRSA), set as its eks.amazonaws.com/role-arn annotation: terraform/aws's output app_role_arn. Required with secrets_source = \"aws-secrets-manager\" (External Secrets Operator authenticates as that ServiceAccount); optional otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.app_role_arn == null || can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.app_role_arn))
    error_message = "app_role_arn must be an IAM role ARN, arn:aws:iam::<12-digit account id>:role/<name> (got \"${coalesce(var.app_role_arn, "null")}\"); terraform/aws prints it as output app_role_arn."
  }

  validation {
    condition     = var.app_role_arn != null || var.secrets_source != "aws-secrets-manager"
    error_message = "app_role_arn is required with secrets_source = \"aws-secrets-manager\": External Secrets Operator reads the secrets as the app's ServiceAccount through IRSA. Pass terraform/aws's output app_role_arn."
  }
}

variable "app_secret_arns" {
  description = "With secrets_source = \"aws-secrets-manager\": the Secrets Manager ARN of each secret key of the contract, exactly those keys (terraform/aws's output app_secret_arns). Required then, refused otherwise."
  type        = map(string)
  default     = null

  validation {
    condition = (var.app_secret_arns != null) == (var.secrets_source == "aws-secrets-manager")
    error_message = (var.app_secret_arns == null
      ? "app_secret_arns is required with secrets_source = \"aws-secrets-manager\": a Secrets Manager ARN for each of ${join(", ", local.contract_secret_keys)} (terraform/aws's output app_secret_arns)."
      : "app_secret_arns is used only with secrets_source = \"aws-secrets-manager\" (it is \"${var.secrets_source}\"): drop it, or set -var secrets_source=aws-secrets-manager."
    )
  }

  validation {
    condition     = var.app_secret_arns == null || length(setsubtract(keys(coalesce(var.app_secret_arns, {})), local.contract_secret_keys)) == 0
    error_message = "app_secret_arns has keys that are not secret keys of the ${var.env} chart: ${join(", ", setsubtract(keys(coalesce(var.app_secret_arns, {})), local.contract_secret_keys))}. Its keys must be exactly ${join(", ", local.contract_secret_keys)} (contract.json secret_keys)."
  }

  validation {
    condition     = var.app_secret_arns == null || length(setsubtract(local.contract_secret_keys, keys(coalesce(var.app_secret_arns, {})))) == 0
    error_message = "app_secret_arns lacks secret keys of the ${var.env} chart: ${join(", ", setsubtract(local.contract_secret_keys, keys(coalesce(var.app_secret_arns, {}))))}. Its keys must be exactly ${join(", ", local.contract_secret_keys)} (terraform/aws's output app_secret_arns has them)."
  }

  validation {
    condition     = alltrue([for arn in values(coalesce(var.app_secret_arns, {})) : can(regex(local.secret_arn_pattern, arn))])
    error_message = "app_secret_arns values must be Secrets Manager ARNs (arn:aws:secretsmanager:<region>:<account id>:secret:<name>); not those of ${join(", ", [for key, arn in coalesce(var.app_secret_arns, {}) : key if !can(regex(local.secret_arn_pattern, arn))])} (terraform/aws's output app_secret_arns has them)."
  }
}
