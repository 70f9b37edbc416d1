# The module passes through what synth wrote: every expectation is read from the synthesized files,
# plus a few literals so a reader sees what "dev" and "prod" mean.

variables {
  manifests_dir = "../../../dist/k8s-manifests"
}

run "dev_release_comes_from_the_dev_contract" {
  command = plan

  variables {
    env = "dev"
  }

  assert {
    condition     = output.release_name == jsondecode(file("${var.manifests_dir}/dev/contract.json")).release_name && output.release_name == "api-dev"
    error_message = "release_name ${output.release_name} is not the dev contract's release_name."
  }

  assert {
    condition     = output.namespace == jsondecode(file("${var.manifests_dir}/dev/contract.json")).namespace && output.namespace == "shipyard-dev"
    error_message = "namespace ${output.namespace} is not the dev contract's namespace."
  }

  assert {
    condition     = output.release_namespace == jsondecode(file("${var.manifests_dir}/dev/contract.json")).release_namespace
    error_message = "release_namespace ${output.release_namespace} is not the dev contract's release_namespace."
  }

  # The chart creates and labels its own namespace, so Helm must keep its release record elsewhere.
  assert {
    condition     = output.release_namespace != output.namespace
    error_message = "The release record would live in the namespace the chart itself creates."
  }

  assert {
    condition     = output.secret_keys == jsondecode(file("${var.manifests_dir}/dev/contract.json")).secret_keys
    error_message = "secret_keys ${jsonencode(output.secret_keys)} are not the dev contract's secret_keys."
  }

  # Terraform fills exactly the secrets the chart's values schema requires, no more, no fewer.
  assert {
    condition     = toset(output.secret_keys) == toset(jsondecode(file("${var.manifests_dir}/dev/values.schema.json")).properties.secrets.required)
    error_message = "secret_keys ${jsonencode(output.secret_keys)} differ from the secrets required by the dev chart's values.schema.json."
  }

  assert {
    condition     = toset(output.secret_keys) == toset(["SECRET_KEY", "DB_PASSWORD"])
    error_message = "secret_keys ${jsonencode(output.secret_keys)} are not the two secrets the API reads."
  }

  assert {
    condition     = output.chart_path == "${var.manifests_dir}/dev" && fileexists("${output.chart_path}/Chart.yaml")
    error_message = "chart_path ${output.chart_path} is not the dev chart under manifests_dir, as given (a saved plan must not record an absolute path)."
  }

  assert {
    condition     = output.node_port == jsondecode(file("${var.manifests_dir}/dev/contract.json")).node_port
    error_message = "node_port ${output.node_port} is not the dev contract's node_port."
  }

  assert {
    condition     = output.minikube_service_command == "minikube service ${output.service_name} -n ${output.namespace} --url"
    error_message = "minikube_service_command is '${output.minikube_service_command}'."
  }
}

run "prod_release_comes_from_the_prod_contract" {
  command = plan

  variables {
    env = "prod"
  }

  assert {
    condition     = output.release_name == jsondecode(file("${var.manifests_dir}/prod/contract.json")).release_name && output.release_name == "api-prod"
    error_message = "release_name ${output.release_name} is not the prod contract's release_name."
  }

  assert {
    condition     = output.namespace == jsondecode(file("${var.manifests_dir}/prod/contract.json")).namespace && output.namespace == "shipyard-prod"
    error_message = "namespace ${output.namespace} is not the prod contract's namespace."
  }

  assert {
    condition     = output.release_namespace == jsondecode(file("${var.manifests_dir}/prod/contract.json")).release_namespace
    error_message = "release_namespace ${output.release_namespace} is not the prod contract's release_namespace."
  }

  assert {
    condition     = output.secret_keys == jsondecode(file("${var.manifests_dir}/prod/contract.json")).secret_keys
    error_message = "secret_keys ${jsonencode(output.secret_keys)} are not the prod contract's secret_keys."
  }

  assert {
    condition     = toset(output.secret_keys) == toset(jsondecode(file("${var.manifests_dir}/prod/values.schema.json")).properties.secrets.required)
    error_message = "secret_keys ${jsonencode(output.secret_keys)} differ from the secrets required by the prod chart's values.schema.json."
  }

  assert {
    condition     = endswith(output.chart_path, "/prod") && fileexists("${output.chart_path}/Chart.yaml")
    error_message = "chart_path ${output.chart_path} is not the prod chart."
  }

  assert {
    condition     = output.node_port == jsondecode(file("${var.manifests_dir}/prod/contract.json")).node_port
    error_message = "node_port ${output.node_port} is not the prod contract's node_port."
  }

  assert {
    condition     = output.monitoring_stack_release == jsondecode(file("${var.manifests_dir}/prod/contract.json")).monitoring_stack_release
    error_message = "monitoring_stack_release ${output.monitoring_stack_release} is not the prod contract's, so Prometheus would not select the chart's ServiceMonitor."
  }
}

run "envs_do_not_share_a_release_or_namespace" {
  command = plan

  variables {
    env = "prod"
  }

  assert {
    condition     = output.release_name != jsondecode(file("${var.manifests_dir}/dev/contract.json")).release_name && output.namespace != jsondecode(file("${var.manifests_dir}/dev/contract.json")).namespace
    error_message = "prod would reuse dev's release or namespace."
  }
}

run "image_defaults_to_the_chart_app_version" {
  command = plan

  variables {
    env = "dev"
  }

  assert {
    condition     = output.helm_values.image.tag == jsondecode(file("${var.manifests_dir}/dev/contract.json")).app_version
    error_message = "image tag ${output.helm_values.image.tag} is not the contract's app_version."
  }

  assert {
    condition     = output.helm_values.image.tag == yamldecode(file("${var.manifests_dir}/dev/Chart.yaml")).appVersion
    error_message = "image tag ${output.helm_values.image.tag} is not the chart's appVersion."
  }

  assert {
    condition     = output.helm_values.image == jsondecode(file("${var.manifests_dir}/dev/contract.json")).helm_values.image
    error_message = "helm_values.image ${jsonencode(output.helm_values.image)} differs from the contract's default."
  }

  # values.schema.json rejects unknown keys, and secrets never travel with the plain values.
  assert {
    condition     = keys(output.helm_values) == ["image", "secretsSource"]
    error_message = "helm_values carries more than the image and the secrets source: ${jsonencode(keys(output.helm_values))}."
  }
}

run "image_tag_and_repository_can_be_overridden" {
  command = plan

  variables {
    env              = "dev"
    image_tag        = "sha-0123abc"
    image_repository = "registry.example.com/team/shipyard-api"
  }

  assert {
    condition     = output.helm_values.image == { repository = "registry.example.com/team/shipyard-api", tag = "sha-0123abc" }
    error_message = "image ${jsonencode(output.helm_values.image)} does not carry the overrides."
  }
}

run "monitoring_follows_the_contract_by_default" {
  command = plan

  variables {
    env = "prod"
  }

  assert {
    condition     = output.enable_monitoring == jsondecode(file("${var.manifests_dir}/prod/contract.json")).monitoring_enabled
    error_message = "enable_monitoring ${output.enable_monitoring} is not the prod contract's monitoring_enabled."
  }
}

run "monitoring_flag_passes_through" {
  command = plan

  variables {
    env               = "dev"
    enable_monitoring = true
  }

  assert {
    condition     = output.enable_monitoring == true
    error_message = "enable_monitoring = true did not pass through."
  }
}

run "monitoring_off_for_a_chart_built_with_it_warns" {
  command = plan

  variables {
    env               = "prod"
    enable_monitoring = false
  }

  expect_failures = [check.monitoring_crds]

  assert {
    condition     = output.enable_monitoring == false
    error_message = "enable_monitoring = false did not pass through."
  }
}
