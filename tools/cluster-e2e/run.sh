#!/usr/bin/env bash
# The integration suites, inside a throwaway cluster that is always torn down. Extra arguments go to Jest.
#   run.sh [JEST-ARG...]                 nx run cluster-e2e:e2e: two simulated (kwok) nodes on loopback,
#                                        src/deploy.e2e.ts and src/terraform.e2e.ts
#   run.sh --real-nodes [JEST-ARG...]    nx run cluster-e2e:e2e-nodes: the API image built from apps/api/Dockerfile,
#                                        two real nodes (kubelet, containerd) and kube-proxy in a network namespace,
#                                        src/nodes.e2e.ts (and src/nodes/*.e2e.ts); needs root. With
#                                        SHIPYARD_API_IMAGE=<image in podman's store> that image is used as it is
#                                        (no build; to re-run tests quickly), and left in the store
# Both need the synthesized charts (the Nx targets run k8s-manifests:synth first).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"

real=""
[[ ${1:-} == --real-nodes ]] && { real=1; shift; }

[[ -f dist/k8s-manifests/environments.json ]] ||
  { echo "==> integration: no synthesized charts: run \`npx nx run cluster-e2e:e2e\` (or k8s-manifests:synth first)" >&2; exit 1; }
command -v terraform >/dev/null || { echo "==> integration: terraform is not on PATH" >&2; exit 1; }
if [[ -n $real ]]; then
  [[ $(id -u) == 0 ]] || { echo "==> integration: real nodes need root (network namespaces, cgroups, containerd)" >&2; exit 1; }
  tools/toolchain/ensure.sh helm kwok etcd k8s kubectl crds eso-crds apt kubelet crictl pause base-images metrics-server kube-router
else
  tools/toolchain/ensure.sh helm kwok etcd k8s kubectl crds eso-crds
  # external-secrets.e2e.ts: ESO's controller, moto (pytools) and the image's Node.js for the secret restarter.
  tools/toolchain/ensure.sh eso pytools node22
  # terraform.e2e.ts's providers: the registry, or local mirrors (built now, before a cluster is started); with
  # neither this stops here, naming both ways.
  tf_cli_config=$(mktemp)
  tools/toolchain/terraform-cli-config.sh "$tf_cli_config"
  rm -f "$tf_cli_config"
fi
# shellcheck source=/dev/null
source tools/toolchain/env.sh helm kwok etcd k8s kubectl

# A cluster of an earlier run whose process is gone (killed with its watchdog, machine reset) is removed first
# (found by its state dir or its network namespace), and so is an image archive such a run left.
for dir in "${TMPDIR:-/tmp}"/shipyard-cluster-it-* $(ip netns list 2>/dev/null | awk '$1 ~ /^shipyard-it-[0-9]+$/ { print $1 }'); do
  [[ -d $dir || $dir != */* ]] || continue
  pid=${dir##*-it-}
  if [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then tools/cluster-e2e/cluster.sh down "it-$pid" || true; fi
done
for f in "${TMPDIR:-/tmp}"/shipyard-e2e-image-*.tar; do
  [[ -e $f ]] || continue
  pid=${f##*-image-}; pid=${pid%.tar}
  [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -f "$f"
done

cluster=(--)
config=tools/cluster-e2e/jest.e2e.config.cts
if [[ -n $real ]]; then
  # The image, from the Dockerfile as shipped; handed to the cluster as an archive (which it moves into its
  # state dir and imports into every node), and out of podman's store again.
  archive=${TMPDIR:-/tmp}/shipyard-e2e-image-$$.tar
  if [[ -n ${SHIPYARD_API_IMAGE:-} ]]; then
    image=$SHIPYARD_API_IMAGE
    podman image exists "$image" || { echo "==> integration: SHIPYARD_API_IMAGE=$image is not in podman's image store" >&2; exit 1; }
    echo "==> integration: using $image as it is (SHIPYARD_API_IMAGE): not built from the current sources" >&2
    trap 'rm -f "$archive"' EXIT
  else
    image=localhost/shipyard-api:e2e-nodes-$$
    trap 'podman rmi --force "$image" >/dev/null 2>&1 || true; rm -f "$archive"' EXIT
    apps/api-e2e/image/build.sh "$image"
  fi
  start=$SECONDS
  podman save --quiet --format docker-archive -o "$archive" "$image"
  [[ -n ${SHIPYARD_API_IMAGE:-} ]] || podman rmi --force "$image" >/dev/null
  echo "==> integration: $image saved to an archive for the nodes in $((SECONDS - start)) s"
  trap - EXIT
  cluster=(--real-nodes --image-archive "$archive" --)
  config=tools/cluster-e2e/jest.nodes.config.cts
fi

# One cluster per run, named after this process, so parallel runs do not meet. exec: a signal sent to this
# script reaches the wrapper, which stops Jest and tears the cluster down.
exec tools/cluster-e2e/cluster.sh run "it-$$" "${cluster[@]}" \
  node node_modules/jest/bin/jest.js --config "$config" --runInBand "$@"
