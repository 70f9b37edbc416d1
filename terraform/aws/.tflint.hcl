# Offline: only the ruleset bundled with TFLint, every rule on (documented and typed variables and outputs,
# standard module structure, naming, pinned versions, no unused declarations).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
