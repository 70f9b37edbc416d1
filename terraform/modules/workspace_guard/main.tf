# Nothing to create: the check is the validation of var.workspace (variables.tf), which stops the plan.
