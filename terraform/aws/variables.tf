variable "contract_path" {
  description = "Path to the deploy contract written by `npx nx run k8s-manifests:synth --env=<env>` (dist/k8s-manifests/<env>/contract.json). Namespace, ServiceAccount, secret names and keys and the NodePort are read from it, never retyped here."
  type        = string

  validation {
    condition     = fileexists(var.contract_path)
    error_message = "The deploy contract does not exist at contract_path; run `npx nx run k8s-manifests:synth --env=prod` first."
  }

  validation {
    condition = !fileexists(var.contract_path) || try(
      jsondecode(file(var.contract_path)).schema_version == 1 &&
      length(setsubtract(
        ["env", "namespace", "service_account_name", "node_port", "secret_name", "secret_keys", "app_name"],
        keys(jsondecode(file(var.contract_path)))
      )) == 0,
      false
    )
    error_message = "The deploy contract at contract_path is not schema_version 1 or lacks env, namespace, service_account_name, node_port, secret_name, secret_keys or app_name; regenerate it with `npx nx run k8s-manifests:synth --env=prod` and update terraform/aws if the schema changed."
  }
}

variable "project" {
  description = "Short project name, prefixed to every resource name together with the environment from the contract."
  type        = string
  default     = "shipyard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 characters of lowercase letters, digits and hyphens, starting with a letter (it ends up in ALB and target group names, which are limited to 32 characters)."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "availability_zones" {
  description = "The two availability zones to use, for example [\"eu-west-1a\", \"eu-west-1b\"]. Empty means zones a and b of the provider's region."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(distinct(var.availability_zones)) == 2
    error_message = "availability_zones must be empty or name exactly two different zones."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; split into two public and two private subnets, one of each per availability zone."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR of /20 or larger."
  }
}

variable "hosted_zone_id" {
  description = "ID of the existing public Route 53 hosted zone that holds api_domain_name; the certificate's validation records and the API alias are written into it."
  type        = string
}

variable "api_domain_name" {
  description = "Fully qualified host name the API is served on (for example api.example.com); must sit inside the hosted zone."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.api_domain_name))
    error_message = "api_domain_name must be a lowercase fully qualified domain name without a trailing dot or wildcard."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the EKS control plane and node group (for example 1.34)."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.34."
  }
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint. Empty (the default) keeps the endpoint private: kubectl and helm then run from inside the VPC or over a VPN."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.cluster_endpoint_public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "cluster_endpoint_public_access_cidrs must be IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  description = "EC2 instance types of the managed node group."
  type        = list(string)
  default     = ["t3.medium"]
}

variable "node_group_size" {
  description = "Minimum, desired and maximum number of nodes; the minimum of two keeps one node per availability zone."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = {
    min     = 2
    desired = 2
    max     = 4
  }

  validation {
    condition     = var.node_group_size.min >= 1 && var.node_group_size.min <= var.node_group_size.desired && var.node_group_size.desired <= var.node_group_size.max
    error_message = "node_group_size must satisfy 1 <= min <= desired <= max."
  }
}

variable "node_disk_size_gib" {
  description = "Size in GiB of each node's encrypted root volume."
  type        = number
  default     = 30
}

variable "attach_node_group_to_target_group" {
  description = "Register the node group's Auto Scaling group with the ALB target group. Turn off only when something else registers the nodes (for example a TargetGroupBinding of the AWS Load Balancer Controller)."
  type        = bool
  default     = true
}

variable "rotation_lambda_arn" {
  description = "ARN of the Lambda function that rotates the app's secrets. It is owned outside this module and must allow secretsmanager.amazonaws.com to invoke it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", var.rotation_lambda_arn))
    error_message = "rotation_lambda_arn must be a Lambda function ARN."
  }
}

variable "secret_rotation_days" {
  description = "Days between automatic rotations of each app secret."
  type        = number
  default     = 90

  validation {
    condition     = var.secret_rotation_days >= 1 && var.secret_rotation_days <= 365
    error_message = "secret_rotation_days must be between 1 and 365."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes immediately, otherwise 7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "kms_deletion_window_days" {
  description = "Days a scheduled KMS key deletion can still be cancelled (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "log_retention_days" {
  description = "Days the control plane logs, ALB access logs and VPC flow logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least one year (365, 400, 545, 731, ...)."
  }
}

variable "deletion_protection" {
  description = "Protects the ALB from deletion. Turn off only for throwaway environments."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}
