#!/usr/bin/env bash
# Tests the Jenkinsfile without a Jenkins: (1) it compiles as Groovy; (2) a stub of the declarative DSL runs it for
# main, a feature branch and a pull request and checks the branch behaviour and that every script and Nx target it
# calls exists; (3) the tools/ci scripts behave, against fake kubectl/curl/terraform; (4) terraform-test.sh: the
# Terraform facts the pipeline relies on (one version requirement; a saved plan that applies from any path).
# Prints a line per stage and per check; exits non-zero if anything failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/pipeline-e2e
GROOVY_VERSION=5.0.8
CACHE=${SHIPYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipyard}
GROOVY_DIR=$CACHE/groovy-$GROOVY_VERSION
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

say() { echo "==> jenkins: $*"; }
passed=0 failed=0
# tally LOG: adds the "N passed, N failed" closing line of a stage's output to the totals.
tally() {
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
  [[ -n $line ]] || { failed=$((failed + 1)); return; }
  passed=$((passed + $(cut -d' ' -f1 <<<"$line"))) failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
}

# Groovy from Maven Central, cached by version; built into a temporary directory so the cache is complete or absent.
if [[ ! -f $GROOVY_DIR/groovy-$GROOVY_VERSION.jar || ! -f $GROOVY_DIR/groovy-json-$GROOVY_VERSION.jar ]]; then
  say "groovy $GROOVY_VERSION: fetching org.apache.groovy:groovy and :groovy-json from Maven Central"
  tmp=$GROOVY_DIR.partial.$$
  rm -rf "$tmp" && mkdir -p "$tmp"
  for artifact in groovy groovy-json; do
    if ! mvn -B -q dependency:copy "-Dartifact=org.apache.groovy:$artifact:$GROOVY_VERSION" "-DoutputDirectory=$tmp" >"$tmp.log" 2>&1; then
      cat "$tmp.log" >&2
      say "ERROR: could not fetch org.apache.groovy:$artifact:$GROOVY_VERSION with Maven (needs mvn and Maven Central)"
      rm -rf "$tmp" "$tmp.log"
      exit 1
    fi
  done
  rm -rf "$GROOVY_DIR" "$tmp.log" && mv "$tmp" "$GROOVY_DIR"
fi
groovy5() { java -cp "$GROOVY_DIR/*" groovy.ui.GroovyMain "$@"; }
say "groovy $GROOVY_VERSION from $GROOVY_DIR"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

say "parse: Jenkinsfile compiles as Groovy $GROOVY_VERSION"
parse='new GroovyShell().parse(new File(args[0])); println "1 passed, 0 failed"'
groovy5 -e "$parse" "$ROOT/Jenkinsfile" 2>&1 | tee "$log"
tally "$log"

# Jenkins runs pipelines on Groovy 2.4: parse with Debian's groovy too when it is installed (apt-get install groovy).
debian_groovy=$(type -P groovy || true)
if [[ -n $debian_groovy && $("$debian_groovy" --version 2>/dev/null) == *"Version: 2.4"* ]]; then
  say "parse: Jenkinsfile compiles as Groovy 2.4, the dialect Jenkins runs"
  "$debian_groovy" -e "$parse" "$ROOT/Jenkinsfile" 2>&1 | tee "$log"
  tally "$log"
elif [[ ${CI:-} == true ]]; then
  say "parse with Groovy 2.4: FAILED: no Debian groovy 2.4 on PATH, and CI must run it (tools/toolchain/ensure.sh apt)"
  failed=$((failed + 1))
else
  say "parse with Groovy 2.4: SKIPPED (no Debian groovy 2.4 on PATH; tools/toolchain/ensure.sh apt installs it; fails under CI=true)"
fi

say "pipeline: the Jenkinsfile run against a stub of the declarative DSL"
groovy5 "$HERE/JenkinsfileTest.groovy" "$ROOT" 2>&1 | tee "$log"
tally "$log"

say "scripts: tools/ci against fake kubectl, curl and terraform"
bash "$HERE/scripts-test.sh" 2>&1 | tee "$log"
tally "$log"

say "terraform: one version requirement; a saved plan records no path of the workspace it was made in"
bash "$HERE/terraform-test.sh" 2>&1 | tee "$log"
tally "$log"

echo "jenkins: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
