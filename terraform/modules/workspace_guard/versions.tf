terraform {
  # One requirement for every root and module (tools/pipeline-e2e checks it); the validation compares two variables.
  required_version = ">= 1.11"
}
