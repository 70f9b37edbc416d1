#!/usr/bin/env bash
# Builds the test toolchain from package registries into a cache keyed by tool and version.
# Usage: ensure.sh TOOL...          build what is missing (TOOL: see ALL_TOOLS below | all | early | late)
#        ensure.sh --paths TOOL...  print the bin dirs of built tools, build nothing (used by env.sh);
#                                   for crds and eso-crds, the directory holding the CRD files
#        ensure.sh tfproviders      Terraform provider mirror built from local sources (not in `all`; see
#                                   terraform-cli-config.sh, which calls it only when the registry is unreachable)
set -euo pipefail

HELM_VERSION=v3.19.0
KWOK_VERSION=v0.8.0
ETCD_VERSION=v3.6.13
K8S_VERSION=v1.34.4
TFLINT_VERSION=v0.64.0
# The HPA's metrics and the NetworkPolicy agent of the real-node tests (tools/cluster-e2e/src/nodes/).
METRICS_SERVER_VERSION=v0.9.0
KUBE_ROUTER_VERSION=v2.1.0
# The CRI client at the release line of the kubelet; teardown of the real-node cluster stops pods with it.
CRICTL_VERSION=v1.34.0
CONTROLLER_GEN_VERSION=v0.23.0
# The operator version kube-prometheus-stack ships at the chart version terraform/ pins (see README.md here).
PROM_OPERATOR_VERSION=v0.87.0
# External Secrets Operator: the CRDs of the release the prod chart's SecretStore/ExternalSecret target (eso-crds),
# and its controller, which the cluster tests run against moto (eso).
ESO_VERSION=v0.16.2
NODE22_VERSION=22.23.5
# Stand-ins for apps/api/Dockerfile's base images (base-images): Debian suite, and npm as node:22 images ship it.
BASE_IMAGES_SUITE=bookworm
NPM10_VERSION=10.9.9
# The system trust store, copied into the build stand-in (see builds.sh) and named by NODE_EXTRA_CA_CERTS there.
BASE_IMAGES_HOST_CA=/etc/ssl/certs/ca-certificates.crt
BASE_IMAGES_BUILD_CA=/usr/local/share/ca-certificates-host/ca-certificates.crt
# Terraform providers built from source tarballs: name:version:sha256 of terraform-provider-<name>-<version>.tar.gz
TF_PROVIDERS=(helm:3.1.2:280fb1c1ce448085e7a30d2b44c3463ca888b06ff13d14028e8b8dc90c4a4ae9
  random:3.9.0:a33d4f564beb83bdf7395bb28e70fbe7ffa07524fc6cf2ef9908c645168b9c67)
# package:command. groovy's launcher falls back to JAVA_HOME=/usr/lib/jvm/default-java, which only
# default-jre-headless provides (a recommends, skipped by --no-install-recommends).
APT_PACKAGES=(prometheus:prometheus bubblewrap:bwrap wrk:wrk groovy:groovy
  default-jre-headless:/usr/lib/jvm/default-java/bin/java
  buildah:buildah podman:podman runc:runc mmdebstrap:mmdebstrap
  containerd:containerd containernetworking-plugins:/usr/lib/cni/bridge iptables:iptables ipset:ipset)

ALL_TOOLS=(helm kwok etcd k8s kubectl tflint controller-gen crds eso-crds eso node22 pytools apt base-images kubelet crictl pause
  metrics-server kube-router)
# Tools only the cluster suites use (cluster-e2e:e2e, then :e2e-nodes; the last stages of npm test), in the order
# they are needed: tools/test.sh builds them (`late`) in the background while the earlier stages run. `early`: the rest.
LATE_TOOLS=(eso kubelet crictl pause metrics-server kube-router)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SHIPYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipyard}
# Static binaries need no C toolchain at run time; GOWORK=off keeps a stray go.work out of throwaway modules.
export CGO_ENABLED=0 GOWORK=off

say() { echo "==> toolchain: $*"; }
die() { echo "==> toolchain: ERROR: $*" >&2; exit 1; }

version_of() {
  case $1 in
    helm) echo "$HELM_VERSION" ;; kwok) echo "$KWOK_VERSION" ;; etcd) echo "$ETCD_VERSION" ;;
    k8s) echo "$K8S_VERSION" ;; tflint) echo "$TFLINT_VERSION" ;; kubelet) echo "$K8S_VERSION" ;; crictl) echo "$CRICTL_VERSION" ;;
    kubectl) echo "$K8S_VERSION" ;; eso) echo "$ESO_VERSION" ;; controller-gen) echo "$CONTROLLER_GEN_VERSION" ;; node22) echo "$NODE22_VERSION" ;;
    # Generated CRDs depend on both the API types and the generator.
    crds) echo "$PROM_OPERATOR_VERSION-controller-gen-$CONTROLLER_GEN_VERSION" ;;
    eso-crds) echo "$ESO_VERSION" ;;
    tfproviders) tfproviders_version ;; base-images) base_images_version ;; pause) pause_version ;;
    # The venv is keyed by its pinned requirements, so editing them yields a fresh venv.
    pytools) sha256sum "$HERE/requirements.txt" | cut -c1-12 ;;
    metrics-server) echo "$METRICS_SERVER_VERSION" ;; kube-router) echo "$KUBE_ROUTER_VERSION" ;;
    *) die "unknown tool '$1' (known: ${ALL_TOOLS[*]} all)" ;;
  esac
}
dir_of() { echo "$CACHE/$1-$(version_of "$1")"; }
bin_of() {
  case $1 in
    pytools) echo "$(dir_of "$1")/venv/bin" ;; crds | eso-crds) echo "$(dir_of "$1")/crds" ;;
    base-images) dir_of "$1" ;; # build.tar and runtime.tar, not a bin dir: not for env.sh
    pause) dir_of "$1" ;; # pause.tar (an OCI archive) and image-name, not a bin dir: not for env.sh
    tfproviders) echo "$(dir_of "$1")/mirror" ;; # a filesystem mirror, not a bin dir: not for env.sh
    *) echo "$(dir_of "$1")/bin" ;;
  esac
}
# Tools another one is built with; ensured first.
deps_of() { case $1 in crds) echo controller-gen ;; base-images) echo apt node22 ;; esac; }

# Runs "$@" and fails unless its output contains $want: a build is cached only if it runs and reports its version.
expect() {
  local want=$1 out; shift
  out=$("$@" 2>&1) || die "'$*' failed: $out"
  [[ $out == *"$want"* ]] || die "'$*' printed '$out', expected '$want'"
  echo "$* -> $out"
}

# build_<tool> and check_<tool> for every tool.
# shellcheck source=tools/toolchain/builds.sh
source "$HERE/builds.sh"

# Measured cold build times (empty module and build caches, both lanes busy; tools/toolchain/README.md,
# "Measured"), printed when a build starts.
expected_time() {
  case $1 in
    helm) echo "4 min (it fetches and compiles what the whole Kubernetes family shares)" ;; kwok) echo "2-3 min" ;;
    etcd) echo "under 1 min" ;; k8s) echo "5 min" ;; kubectl) echo "under 1 min" ;; tflint) echo "2 min" ;;
    controller-gen) echo "under 1 min" ;; crds) echo "under 1 min" ;; eso-crds) echo "under 1 min" ;;
    metrics-server) echo "2-3 min" ;; kube-router) echo "3 min" ;; kubelet) echo "1 min" ;; crictl) echo "under 1 min" ;;
    pause) echo "under 1 min" ;; node22) echo "under 1 min" ;; eso) echo "3-4 min" ;; base-images) echo "1-2 min" ;;
    pytools) echo "1-6 min" ;; tfproviders) echo "4-7 min" ;; *) echo "a few minutes" ;;
  esac
}
# A line on stderr every 30 s while a build runs, so a long build never looks hung.
start_ticker() {
  local tool=$1 log=$2 start=$SECONDS
  # The ticker and its sleep hold neither the lock (fd 9) nor the caller's pipes once stopped.
  (exec 9>&-; while sleep 30 </dev/null >/dev/null 2>&1 3>&-; do
    echo "==> toolchain: still building $tool ($((SECONDS - start)) s so far; log: $log)" >&3
  done) &
  TICKER=$!
}
stop_ticker() { [[ -z ${TICKER-} ]] || { kill "$TICKER" 2>/dev/null || true; wait "$TICKER" 2>/dev/null || true; TICKER=""; }; }
# Builds into a sibling temp dir and renames it into place, so the cache dir exists only once complete.
# Not run under `if`/`||`: bash would then ignore `set -e` inside the build functions.
# One builder per tool and cache (a lock per tool, fd 9): a parallel caller that needs the same tool waits for
# it, then finds it cached; callers that need other tools, or only cached ones, never wait.
ensure_tool() {
  local tool=$1 version final
  version=$(version_of "$tool"); final=$(dir_of "$tool")
  if [[ -d $final ]]; then say "$tool $version (cached)"; return; fi
  exec 9>"$CACHE/.lock-$tool"
  flock -n 9 || { say "waiting for another ensure.sh building $tool $version ..."; flock 9; }
  if [[ -d $final ]]; then exec 9>&-; say "$tool $version (built meanwhile)"; return; fi
  FAIL_TMP=$final.partial FAIL_DIR=$final FAIL_LOG=$final.log FAIL_WHAT="$tool $version"
  say "building $tool $version: expect about $(expected_time "$tool") (2 cores, cold caches); log: $FAIL_LOG"
  local start=$SECONDS
  rm -rf "$FAIL_TMP"; mkdir -p "$FAIL_TMP/bin"
  trap on_build_exit EXIT
  start_ticker "$tool" "$FAIL_LOG"
  "build_$tool" "$FAIL_TMP" "$final" >"$FAIL_LOG" 2>&1
  mv -T "$FAIL_TMP" "$final"
  "check_$tool" "$final" >>"$FAIL_LOG" 2>&1
  stop_ticker
  trap stop_lanes EXIT
  rm -f "$FAIL_LOG"
  exec 9>&-
  say "$tool $version done in $((SECONDS - start))s"
}
# A failed or interrupted build (or one whose binaries do not run) leaves no cache dir behind.
# It writes to fd 3 (the caller's stderr): set -e may fire while stderr still points at the build log.
on_build_exit() {
  stop_ticker
  stop_lanes
  rm -rf "$FAIL_TMP" "$FAIL_DIR"
  tail -n 30 "$FAIL_LOG" >&3
  echo "==> toolchain: ERROR: $FAIL_WHAT failed; full log: $FAIL_LOG" >&3
}

# Go builds here are CPU-bound on two cores, yet each begins by downloading its modules with the cores mostly
# idle (eso's alone are 666 MB). A background fetcher runs ahead through the Go lane's missing tools, each tool's own
# build with `go build`/`go install` in dry-run mode (-n: packages are loaded, so their modules downloaded, and
# nothing is compiled), so the real builds find their modules in the module cache. GOMAXPROCS bounds the go
# command's parallel downloads; it is raised for the fetcher only. Best effort: a fetch that fails is logged and
# its tool's real build fetches (and reports) as usual.
PREFETCH=""
prefetch() {
  local t tmp log=$CACHE/prefetch.log child=""
  trap '[[ -z $child ]] || kill "$child" 2>/dev/null; exit 0' TERM
  export GOMAXPROCS=16
  go() { case $1 in build | install) command go "$1" -n "${@:2}" >/dev/null 2>&1 ;; *) command go "$@" ;; esac; }
  : >"$log"
  for t; do
    tmp=$(mktemp -d "$CACHE/.prefetch-$$-$t.XXXXXX")
    ("build_$t" "$tmp" "$tmp") >>"$log" 2>&1 </dev/null &
    child=$!
    if wait "$child"; then echo "prefetched $t" >>"$log"; else echo "prefetch of $t failed; its build fetches" >>"$log"; fi
    child=""
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  done
}
# Job control for these background lanes only: each gets a process group of its own, which stop_lanes can end
# with everything it started.
start_prefetch() {
  local t todo=()
  for t; do [[ -d $(dir_of "$t") ]] || todo+=("$t"); done
  ((${#todo[@]} > 1)) || return 0
  set -m
  prefetch "${todo[@]}" 9>&- &
  PREFETCH=$!
  set +m
}

# The tools that are not Go builds wait mostly on the network: they are built in a second lane, beside the Go
# builds that keep both cores busy. They depend on nothing the Go lane builds. apt is not among them: it runs
# first, alone (base-images needs its mmdebstrap), so that no failure elsewhere ever interrupts dpkg.
SIDE_TOOLS=" node22 pytools base-images "
SIDE="" SIDE_LIST=""
start_side() {
  (($#)) || return 0
  SIDE_LIST=$*
  set -m
  (
    trap - EXIT
    for t; do ensure_tool "$t"; done
  ) &
  SIDE=$!
  set +m
}
# Fails (naming the lane's error above) once the side lane has failed; with --wait, waits for it to end first.
check_side() {
  [[ -z $SIDE ]] && return
  [[ ${1-} == --wait ]] || ! kill -0 "$SIDE" 2>/dev/null || return 0
  local status=0
  wait "$SIDE" || status=$?
  SIDE=""
  ((status == 0)) || die "building $SIDE_LIST failed (exit $status; its error is above)"
}
stop_lanes() {
  if [[ -n $PREFETCH ]]; then
    kill -TERM -- "-$PREFETCH" 2>/dev/null || true
    wait "$PREFETCH" 2>/dev/null || true
    PREFETCH=""
    rm -rf "$CACHE"/.prefetch-$$-*
  fi
  if [[ -n $SIDE ]]; then
    kill -TERM -- "-$SIDE" 2>/dev/null || true
    wait "$SIDE" 2>/dev/null || true
    SIDE=""
  fi
}

ensure_apt() {
  local pair pkg missing=() sudo=() start=$SECONDS
  for pair in "${APT_PACKAGES[@]}"; do command -v "${pair#*:}" >/dev/null || missing+=("${pair%%:*}"); done
  if ((${#missing[@]} == 0)); then say "apt ${APT_PACKAGES[*]%%:*} (installed)"; return; fi
  [[ $EUID == 0 ]] || sudo=(sudo)
  local log=$CACHE/apt.log
  say "installing apt ${missing[*]}: expect about 1 min; log: $log"
  trap 'stop_ticker; stop_lanes' EXIT
  start_ticker apt "$log"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 || die "apt-get update failed; log: $log"
  for pkg in "${missing[@]}"; do # not `| grep -q`: its early exit fails the pipe under pipefail
    [[ $(apt-cache policy "$pkg") =~ Candidate:\ [^\(] ]] || die "apt package '$pkg' is not installable here"
  done
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; die "apt-get install ${missing[*]} failed; full log: $log"; }
  for pair in "${APT_PACKAGES[@]}"; do command -v "${pair#*:}" >/dev/null || die "'${pair#*:}' still missing after apt-get install"; done
  stop_ticker
  trap stop_lanes EXIT
  rm -f "$log"
  say "apt ${missing[*]} done in $((SECONDS - start))s"
}

paths_of() {
  local tool=$1 pair
  if [[ $tool == apt ]]; then
    for pair in "${APT_PACKAGES[@]}"; do
      command -v "${pair#*:}" >/dev/null || die "'${pair#*:}' is not installed; run tools/toolchain/ensure.sh apt"
    done
    return
  fi
  [[ -d $(dir_of "$tool") ]] || die "$tool $(version_of "$tool") is not built; run tools/toolchain/ensure.sh $tool"
  bin_of "$tool"
}

main() {
  local mode=ensure tools=() t d seen=" "
  [[ ${1-} == --paths ]] && { mode=paths; shift; }
  (($#)) || die "usage: ensure.sh [--paths] TOOL... (TOOL: ${ALL_TOOLS[*]} all early late)"
  for t in "$@"; do
    case $t in
      all) set -- "${ALL_TOOLS[@]}" && break ;;
      late) set -- "${LATE_TOOLS[@]}" && break ;;
      early) set -- $(printf '%s\n' "${ALL_TOOLS[@]}" | grep -vxF -f <(printf '%s\n' "${LATE_TOOLS[@]}")) && break ;;
    esac
  done
  for t in "$@"; do
    [[ $t == apt ]] || version_of "$t" >/dev/null
    # Building needs a tool's dependencies; printing its path does not.
    for d in $([[ $mode == paths ]] || deps_of "$t") "$t"; do
      [[ $seen == *" $d "* ]] || { tools+=("$d"); seen+="$d "; }
    done
  done
  if [[ $mode == paths ]]; then
    for t in "${tools[@]}"; do paths_of "$t"; done
    return
  fi
  mkdir -p "$CACHE"
  exec 3>&2
  local side=() go=()
  for t in "${tools[@]}"; do
    if [[ $t == apt ]]; then ensure_apt; elif [[ $SIDE_TOOLS == *" $t "* ]]; then side+=("$t"); else go+=("$t"); fi
  done
  trap stop_lanes EXIT
  start_side "${side[@]}"
  start_prefetch "${go[@]}"
  for t in "${go[@]}"; do
    check_side
    ensure_tool "$t"
  done
  check_side --wait
  stop_lanes
}

main "$@"
