#!/usr/bin/env bash
# The README's commands, run literally as a user types them (part of `npm test`):
#   1. `npx nx serve api`: `/` answers; Ctrl-C (SIGINT to its process group, as a terminal sends) stops it and
#      leaves no process behind.
#   2. `npx nx run k8s-manifests:synth --env=prod`, cached: restoring its result brings back the prod chart and
#      never a chart of another environment left in dist/ by an earlier run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0

say() { echo "==> quickstart: $*"; }
die() { echo "==> quickstart: FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
serve_pgid=""
cleanup() {
  [[ -z $serve_pgid ]] || kill -KILL -- "-$serve_pgid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. npx nx serve api --------------------------------------------------------------------------------------
port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')
say "npx nx serve api (PORT=$port; builds first, a few minutes on a cold machine; log: $work/serve.log)"
# Its own session and process group, as a shell job in a terminal has.
setsid env PORT="$port" npx nx serve api >"$work/serve.log" 2>&1 </dev/null &
serve_pgid=$!
started=$SECONDS
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true) == 200 ]]; do
  kill -0 "$serve_pgid" 2>/dev/null || { tail -30 "$work/serve.log" >&2; die "nx serve api exited before / answered"; }
  ((SECONDS - started < 600)) || { tail -30 "$work/serve.log" >&2; die "/ did not answer within 600 s"; }
  (((SECONDS - started) % 30 == 0)) && say "waiting for / ($((SECONDS - started)) s)"
  sleep 1
done
say "/ answered 200 after $((SECONDS - started)) s; stopping with SIGINT (Ctrl-C)"
kill -INT -- "-$serve_pgid"
# Every process nx started inherited PORT=$port, wherever it moved (own session, pty, reparented to init).
started_by_serve() {
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}; pid=${pid%/environ}
    grep -qsxz "PORT=$port" "$f" && ps -o pid=,args= -p "$pid"
  done
  return 0
}
for _ in $(seq 30); do [[ -z $(started_by_serve) ]] && break; sleep 1; done
left=$(started_by_serve)
[[ -z $left ]] || die "processes left 30 s after Ctrl-C:"$'\n'"$left"
serve_pgid=""
! curl -s -o /dev/null "http://127.0.0.1:$port/" || die "port $port still answers after nx serve stopped"
say "ok: stopped, no process left, port $port closed"

# --- 2. npx nx run k8s-manifests:synth --env=prod, from the cache ------------------------------------------
# A cache of its own (CI skips the per-user one), so the second run must come from the first's entry. Nx
# records cache entries in a database under its workspace data: that moves too, or an entry of an earlier
# run (whose files are gone) would count as a hit and restore nothing.
export NX_CACHE_DIRECTORY=$work/nx-cache NX_WORKSPACE_DATA_DIRECTORY=$work/nx-data
unset NX_SKIP_NX_CACHE
mkdir -p dist/k8s-manifests/dev
echo "left by an earlier run" >dist/k8s-manifests/dev/stale-marker
say "npx nx run k8s-manifests:synth --env=prod (with a stale dev/ in dist)"
npx nx run k8s-manifests:synth --env=prod >"$work/synth1.log" 2>&1 || { cat "$work/synth1.log" >&2; die "synth failed"; }
grep -q 'synth: prod' "$work/synth1.log" || { cat "$work/synth1.log" >&2; die "the first run did not synthesize"; }
[[ -f dist/k8s-manifests/prod/Chart.yaml ]] || die "no dist/k8s-manifests/prod/Chart.yaml after synth --env=prod"
rm -rf dist/k8s-manifests
say "again, on an empty dist: from the cache"
npx nx run k8s-manifests:synth --env=prod >"$work/synth2.log" 2>&1 || { cat "$work/synth2.log" >&2; die "synth failed"; }
grep -q 'read the output from the cache\|1/1 hit' "$work/synth2.log" || { cat "$work/synth2.log" >&2; die "the second run was not a cache hit"; }
[[ -f dist/k8s-manifests/prod/Chart.yaml ]] || die "the cache did not restore the prod chart"
[[ ! -e dist/k8s-manifests/dev ]] || die "the cache of synth --env=prod restored a dev chart: $(ls -A dist/k8s-manifests/dev)"
say "ok: restored prod only"
# Leave dist as a plain synth does (both environments), for whatever runs next.
unset NX_CACHE_DIRECTORY NX_WORKSPACE_DATA_DIRECTORY
NX_SKIP_NX_CACHE=true npx nx run k8s-manifests:synth >/dev/null
say "passed"
