# One state per environment: an env applied to another env's workspace, or to "default", is refused.
# test.sh also plans the mismatch and checks the message names the fix.

run "matching_workspace_is_accepted" {
  command = plan

  variables {
    env       = "prod"
    workspace = "prod"
  }
}

run "other_envs_workspace_is_refused" {
  command = plan

  variables {
    env       = "prod"
    workspace = "dev"
  }

  expect_failures = [var.workspace]
}

run "default_workspace_is_refused" {
  command = plan

  variables {
    env       = "dev"
    workspace = "default"
  }

  expect_failures = [var.workspace]
}
