output "workspace" {
  description = "The workspace holding this environment's state; equal to env once the plan gets here."
  value       = var.workspace
}
