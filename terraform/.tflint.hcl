# Only the ruleset bundled with TFLint: no `source`, so nothing is downloaded and `tflint --init` is not needed.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
