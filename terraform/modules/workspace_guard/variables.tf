variable "env" {
  description = "Environment the configuration is applied for (the root module's var.env)."
  type        = string
  nullable    = false
}

# One workspace per environment, hence one state per environment: env B applied to env A's state would destroy
# A's release and regenerate its secrets. A failed validation stops the plan before anything changes.
variable "workspace" {
  description = "Terraform workspace holding the state (terraform.workspace); must be named after env."
  type        = string
  nullable    = false

  validation {
    condition = var.workspace == var.env
    error_message = (var.workspace == "default"
      ? "The \"default\" workspace holds no environment: each environment has its own state. Run `terraform workspace select -or-create ${var.env}`, then apply -var env=${var.env} again."
      : "This state (workspace \"${var.workspace}\") belongs to env \"${var.workspace}\", not \"${var.env}\": applying would replace its release and secrets. Run `terraform workspace select -or-create ${var.env}`, then apply -var env=${var.env} again."
    )
  }
}
