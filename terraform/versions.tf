terraform {
  # One requirement for every root and module (tools/pipeline-e2e checks it): terraform/aws needs 1.11 (S3 native
  # locking, test features); the cross-variable validations here need 1.9.
  required_version = ">= 1.11"

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }
}
