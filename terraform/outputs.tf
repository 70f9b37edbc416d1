output "namespace" {
  description = "Namespace the app runs in."
  value       = module.release.namespace
}

output "release" {
  description = "Helm release of the app: its name, the namespace of its record and its status (`helm status <name> -n <namespace>`)."
  value = {
    name      = helm_release.app.name
    namespace = helm_release.app.namespace
    status    = helm_release.app.status
  }
}

output "secrets_source" {
  description = "Where the app's secrets come from: \"random\" (generated in this state) or \"aws-secrets-manager\"."
  value       = module.release.secrets_source
}

output "image" {
  description = "Image repository and tag deployed."
  value       = module.release.helm_values.image
}

output "node_port" {
  description = "NodePort the app's Service listens on, on every node."
  value       = module.release.node_port
}

output "minikube_service_command" {
  description = "Prints the app's URL on minikube."
  value       = module.release.minikube_service_command
}
