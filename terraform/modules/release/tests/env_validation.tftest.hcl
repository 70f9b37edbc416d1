# Bad input stops the plan at var.env, before anything else is evaluated.
# test.sh also plans env = "qa" and checks the message names the allowed envs.

variables {
  manifests_dir = "../../../dist/k8s-manifests"
}

run "unknown_env_is_rejected" {
  command = plan

  variables {
    env = "qa"
  }

  expect_failures = [var.env]
}

run "empty_env_is_rejected" {
  command = plan

  variables {
    env = ""
  }

  expect_failures = [var.env]
}

run "missing_manifests_dir_is_rejected" {
  command = plan

  variables {
    env           = "dev"
    manifests_dir = "tests/fixtures/does-not-exist"
  }

  expect_failures = [var.env]
}

run "listed_env_without_chart_is_rejected" {
  command = plan

  variables {
    env           = "unsynthesized"
    manifests_dir = "tests/fixtures/stale"
  }

  expect_failures = [var.env]
}

run "chart_synthesized_for_another_env_is_rejected" {
  command = plan

  variables {
    env           = "mislabelled"
    manifests_dir = "tests/fixtures/stale"
  }

  expect_failures = [var.env]
}

run "bad_image_tag_is_rejected" {
  command = plan

  variables {
    env       = "dev"
    image_tag = "-not a tag"
  }

  expect_failures = [var.image_tag]
}
