#!/usr/bin/env bash
# First step of `npm test`: names every missing prerequisite, with how to install it, before any long build.
# The README's "Prerequisites" table lists the same. Exit 1 if anything is missing, after listing it all.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE_MIN=20.19.0  # package.json engines
GO_MIN=1.26.3     # the newest `go` line among the toolchain's modules (tflint v0.64.0)
TF_MIN=1.11.0     # the highest required_version under terraform/
JAVA_MIN=17       # Groovy 5 (tools/pipeline-e2e)
PYTHON_MIN=3.9    # checkov 3

missing=()
ok() { printf '  ok       %s\n' "$*"; }
lack() { printf '  MISSING  %s\n           install: %s\n' "$1" "$2"; missing+=("$1"); }
# at_least HAVE WANT: true when version HAVE >= WANT.
at_least() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1) == "$2" ]]; }
# version_of CMD ARGS...: first x.y[.z] in the command's output (empty if it does not run).
version_of() { "$@" 2>&1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1; }

# tool MIN-VERSION NAME HINT CMD ARGS...: present and at least MIN-VERSION (empty: any version).
tool() {
  local min=$1 name=$2 hint=$3 have; shift 3
  if ! command -v "$1" >/dev/null; then lack "$name${min:+ >= $min} ('$1' not on PATH)" "$hint"; return; fi
  have=$(version_of "$@")
  if [[ -n $min ]] && ! at_least "${have:-0}" "$min"; then lack "$name >= $min (found ${have:-an unknown version})" "$hint"; return; fi
  ok "$name${have:+ $have}"
}

echo "==> preflight: prerequisites of npm test (README.md, Prerequisites)"
if [[ $(uname -s) == Linux && $(uname -m) == x86_64 ]]; then ok "Linux x86_64"; else
  lack "Linux on x86_64 (this is $(uname -s) $(uname -m))" "run the tests on a Linux x86_64 machine or VM (the toolchain builds static linux/amd64 binaries and uses Linux namespaces)"
fi
tool "$NODE_MIN" "Node.js" "https://nodejs.org/en/download (or nvm install, see .nvmrc)" node --version
tool "" "npm" "comes with Node.js" npm --version
tool "$GO_MIN" "Go" "https://go.dev/doc/install (tarball into /usr/local/go, then PATH=\$PATH:/usr/local/go/bin)" go version
tool "$TF_MIN" "Terraform" "https://developer.hashicorp.com/terraform/install (apt: add the HashiCorp repository, apt-get install terraform)" terraform version
tool "$JAVA_MIN" "Java (JDK or JRE)" "apt-get install default-jdk-headless (Java 17 or newer)" java -version
tool "" "Maven" "apt-get install maven" mvn --version
tool "$PYTHON_MIN" "Python" "apt-get install python3 python3-venv" python3 --version
if command -v python3 >/dev/null; then
  if python3 -c 'import venv, ensurepip' 2>/dev/null; then ok "Python venv and ensurepip"; else
    lack "Python venv with ensurepip (python3 -m venv fails without it)" "apt-get install python3-venv"
  fi
fi
tool "" "apt-get (Debian or Ubuntu)" "the toolchain installs prometheus, bubblewrap, wrk, groovy, buildah, podman, runc, mmdebstrap, containerd, the CNI plugins and iptables with apt-get; use Debian 12 or Ubuntu 22.04+" apt-get --version
if [[ $EUID == 0 ]]; then ok "root"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then ok "sudo without a password"
else lack "root, or sudo without a password (apt-get install, network namespaces)" "run as root (CI does), or configure passwordless sudo for this user"
fi
for pair in "git:apt-get install git" "jq:apt-get install jq" "curl:apt-get install curl" \
  "flock:apt-get install util-linux" "setsid:apt-get install util-linux" "tar:apt-get install tar" \
  "ss:apt-get install iproute2" "ip:apt-get install iproute2" "nsenter:apt-get install util-linux" "pgrep:apt-get install procps" "timeout:apt-get install coreutils"; do
  tool "" "${pair%%:*}" "${pair#*:}" "${pair%%:*}" --version
done

if ((${#missing[@]})); then
  echo "==> preflight: ${#missing[@]} missing: $(IFS=';'; echo "${missing[*]}" | sed 's/;/; /g')" >&2
  echo "==> preflight: install them (see above and README.md, Prerequisites), then run npm test again" >&2
  exit 1
fi
echo "==> preflight: all prerequisites found (${REPO##*/})"
