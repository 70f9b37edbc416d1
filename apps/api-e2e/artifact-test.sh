#!/usr/bin/env bash
# Proves the image's runtime claims on the exact production artifact, without a container engine:
# the bundle runs with nothing but the node binary (no node_modules reachable), as the unprivileged uid/gid
# 65532 (the image's USER), as PID 1 of its own PID namespace (like a container without an init), on a
# read-only root filesystem where only a fresh tmpfs on /tmp is writable (the chart's readOnlyRootFilesystem
# plus an emptyDir on /tmp). It serves /, /config (no secret value) and /readyz over real HTTP, and exits 0 on
# SIGTERM. Any write outside /tmp makes the app fail, and so this test. Like the image, it writes V8's code cache
# with the node that runs the app before starting it, and checks that the app starts with it.
#
#   apps/api-e2e/artifact-test.sh [BUNDLE]      BUNDLE defaults to dist/apps/api/main.js (nx run api-e2e:test-artifact);
#                                              app.js beside it is staged too
#   NODE_BIN=/path/to/node apps/api-e2e/artifact-test.sh     to run it with another node; by default the image's
#                                              Node.js 22 from the toolchain (tools/toolchain/ensure.sh node22)
#
# Needs bubblewrap (installed with apt-get when absent and run as root), curl, and user namespaces. As root it
# drops to the real uid 65532 with setpriv before bwrap starts, so the app is unprivileged on the host too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE=$(realpath "${1:-$ROOT/dist/apps/api/main.js}")
# The image's user, from the one place it is written: the Dockerfile's last `USER uid:gid` (the runtime stage
# lays its files down as root first).
read -r APP_UID APP_GID < <(sed -nE 's/^USER[[:space:]]+([0-9]+):([0-9]+)[[:space:]]*$/\1 \2/p' "$ROOT/apps/api/Dockerfile" | tail -n 1)
[[ ${APP_UID:-} && ${APP_GID:-} ]] || { echo "apps/api/Dockerfile has no numeric USER uid:gid line" >&2; exit 1; }
# The node binary that runs the bundle: NODE_BIN, else the toolchain's Node.js 22 (the image's major). A copy
# readable by uid 65532 is staged below (the toolchain cache may sit under a home directory it cannot enter).
if [[ -z ${NODE_BIN:-} ]]; then
  "$ROOT/tools/toolchain/ensure.sh" node22 >&2
  NODE_BIN=$("$ROOT/tools/toolchain/ensure.sh" --paths node22)/node
fi
NODE_SRC=$(realpath "$NODE_BIN")

passed=0
failed=0
say() { echo "artifact-test: $*"; }
ok() { passed=$((passed + 1)); say "ok   - $*"; }
fail() { failed=$((failed + 1)); say "FAIL - $*"; }
die() { say "ERROR: $*" >&2; exit 1; }

[[ -s $BUNDLE ]] || die "$BUNDLE is missing: run \`npx nx build api\` first"
APP_JS=$(dirname "$BUNDLE")/app.js
[[ -s $APP_JS ]] || die "$APP_JS is missing: run \`npx nx build api\` first"
command -v curl >/dev/null || die "curl is not on PATH"

# --- bubblewrap -------------------------------------------------------------------------------------------
if ! command -v bwrap >/dev/null; then
  [[ $(id -u) == 0 ]] || die "bwrap is not installed: apt-get install -y bubblewrap (as root)"
  say "installing bubblewrap with apt-get ..."
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends bubblewrap >/dev/null
fi
say "$(bwrap --version), node $("$NODE_SRC" --version) ($NODE_SRC)"

# --- stage the artifact: byte copies, readable by uid 65532, in a directory with no node_modules anywhere above
# (the image's WORKDIR /app holds main.js, app.js and the code cache alone). /var/tmp, not /tmp: the sandbox mounts a fresh tmpfs on /tmp.
STAGE=$(mktemp -d /var/tmp/shipyard-artifact.XXXXXX)
NODE_DIR=$(mktemp -d /var/tmp/shipyard-node.XXXXXX) # like the image's /nodejs/bin: node apart from the app
WORK=$(mktemp -d /tmp/shipyard-artifact-test.XXXXXX) # this script's own files, outside the sandbox's view
LOG=$WORK/app.log BODY=$WORK/body INFO=$WORK/bwrap-info.json
sandbox_pid="" bwrap_pid=""
cleanup() {
  [[ -z $sandbox_pid ]] || kill -KILL "$sandbox_pid" 2>/dev/null || true
  [[ -z $bwrap_pid ]] || kill -KILL "$bwrap_pid" 2>/dev/null || true
  rm -rf "$STAGE" "$WORK" "$NODE_DIR"
}
trap cleanup EXIT
cp "$BUNDLE" "$STAGE/main.js"
NODE=$NODE_DIR/node
cp "$NODE_SRC" "$NODE"
chmod 0755 "$NODE_DIR" "$NODE"
cp "$APP_JS" "$STAGE/app.js"
APP=$STAGE/main.js
[[ $(sha256sum <"$BUNDLE") == "$(sha256sum <"$APP")" ]] || die "staged copy differs from $BUNDLE"
[[ $(sha256sum <"$APP_JS") == "$(sha256sum <"$STAGE/app.js")" ]] || die "staged copy differs from $APP_JS"
say "artifact $APP_JS: $(stat -c %s "$APP_JS") bytes, sha256 $(sha256sum <"$APP_JS" | cut -c1-16)..., staged in $STAGE"
# As the Dockerfile does (RUN, as root, before USER): the code cache, written by the node that will run the app.
cache_log=$("$NODE" "$APP" --write-code-cache 2>&1) || die "main.js --write-code-cache failed: $cache_log"
chmod 0755 "$STAGE"
chmod 0444 "$STAGE"/*
# The image ships these files. Their budget is well under the 20 MB goal, so a heavy package that gets bundled
# by accident (e.g. an optional Nest peer installed for another project) shows up here.
budget=${ARTIFACT_BUDGET_BYTES:-5000000}
size=$(cat "$STAGE"/main.js "$STAGE"/app.js "$STAGE"/app.js.cache | wc -c)
if ((size <= budget)); then ok "artifact size $size bytes (main.js, app.js, app.js.cache) <= budget $budget"; else fail "artifact size $size bytes > budget $budget"; fi
for dir in "$STAGE" /var/tmp /var /; do
  [[ ! -e $dir/node_modules ]] || die "$dir/node_modules exists: the staged bundle could resolve packages from it"
done

# --- the sandbox --------------------------------------------------------------------------------------------
# --ro-bind / /      the whole host root, read-only (the image's root filesystem in Kubernetes)
# --tmpfs /tmp       the only writable place (the emptyDir on /tmp)
# --unshare-all      fresh user, PID, IPC, UTS, cgroup and network namespaces; --share-net then keeps the host's
#                    network so this script reaches the app on loopback
# --as-pid-1         node is PID 1, as in a container without an init: SIGTERM must be handled by the app
# --clearenv         the app sees only the variables set below, as in the pod spec
PRIV=()
if [[ $(id -u) == 0 ]]; then
  # Become the real uid 65532 first: bwrap then runs unprivileged and maps 65532 to itself, so on the host the
  # app is 65532 too (bwrap run as root would map the sandbox's uid to root outside).
  PRIV=(setpriv --reuid="$APP_UID" --regid="$APP_GID" --clear-groups --inh-caps=-all)
fi
sandbox() {
  "${PRIV[@]}" bwrap --ro-bind / / --tmpfs /tmp --proc /proc --dev /dev \
    --unshare-all --share-net --uid "$APP_UID" --gid "$APP_GID" --die-with-parent --new-session \
    --chdir "$STAGE" --clearenv --setenv PATH /usr/bin:/bin --setenv HOME /nonexistent "$@"
}

# Step 1: the sandbox itself: who we are and what is writable, checked by node inside it.
probe=$(sandbox "$NODE" -e '
  const fs = require("node:fs");
  const writable = (p) => { try { fs.writeFileSync(p, "x"); fs.rmSync(p); return "writable"; } catch (e) { return e.code; } };
  let resolved;
  try { resolved = require.resolve("@nestjs/core", { paths: [process.cwd()] }); } catch (e) { resolved = e.code; }
  console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
    root: writable("/probe"), cwd: writable("probe"), varTmp: writable("/var/tmp/probe"), tmp: writable("/tmp/probe"),
    nodeModules: resolved }));' 2>&1) || die "could not start the sandbox: $probe"
say "sandbox probe: $probe"
expect_probe() { # field expected description
  local got
  got=$("$NODE" -e 'console.log(JSON.stringify(JSON.parse(process.argv[1])[process.argv[2]]))' "$probe" "$1")
  if [[ $got == "$2" ]]; then ok "$3 ($1=$got)"; else fail "$3: $1 is $got, expected $2"; fi
}
expect_probe uid "$APP_UID" "runs as uid $APP_UID"
expect_probe gid "$APP_GID" "runs as gid $APP_GID"
expect_probe root '"EROFS"' "the root filesystem is read-only"
expect_probe cwd '"EROFS"' "the working directory (the app's) is read-only"
expect_probe varTmp '"EROFS"' "/var/tmp is read-only"
expect_probe tmp '"writable"' "/tmp is writable"
expect_probe nodeModules '"MODULE_NOT_FOUND"' "no node_modules reachable (@nestjs/core does not resolve)"

# Step 2: start the app, as the image would, with prod settings and real secrets.
port=$("$NODE" -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')
secret_key="sk-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
db_password="db-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
started=$(date +%s%N)
sandbox --info-fd 3 --as-pid-1 \
  --setenv NODE_ENV production --setenv APP_ENV prod --setenv HOST 127.0.0.1 --setenv PORT "$port" \
  --setenv LOG_LEVEL info --setenv SHUTDOWN_DRAIN_SECONDS 1 \
  --setenv SECRET_KEY "$secret_key" --setenv DB_PASSWORD "$db_password" \
  "$NODE" "$APP" >"$LOG" 2>&1 3>"$INFO" &
bwrap_pid=$!
url=http://127.0.0.1:$port
say "started the app in the sandbox (bwrap pid $bwrap_pid), polling $url/readyz"

http() { curl -s -o "$BODY" -w '%{http_code}' --max-time 5 "$url$1" || true; }

ready=""
for _ in $(seq 1 300); do
  kill -0 "$bwrap_pid" 2>/dev/null || break
  if [[ $(http /readyz) == 200 ]]; then ready=$((($(date +%s%N) - started) / 1000000)); break; fi
  sleep 0.05
done
sandbox_pid=$(sed -nE 's/.*"child-pid": *([0-9]+).*/\1/p' "$INFO")
if [[ -n $ready ]]; then
  ok "GET /readyz -> 200, $ready ms after spawn (app is PID 1 in its namespace, host pid $sandbox_pid)"
  # Seen from the host: the process is node, its real uid is unprivileged, no capabilities, no_new_privs set.
  status=$(awk '/^(Name|Uid|Gid|CapEff|NoNewPrivs):/ { v = $2; for (i = 3; i <= NF; i++) v = v "/" $i; printf "%s%s", sep, $1 v; sep = " " }' \
    "/proc/$sandbox_pid/status")
  u=$APP_UID g=$APP_GID
  [[ $(id -u) == 0 ]] || { u=$(id -u); g=$(id -g); } # unprivileged caller: the sandbox's 65532 is the caller outside
  want="Name:node Uid:$u/$u/$u/$u Gid:$g/$g/$g/$g CapEff:0000000000000000 NoNewPrivs:1"
  if [[ $status == "$want" ]]; then ok "seen from the host: $status"; else fail "seen from the host: $status (expected $want)"; fi
else
  if kill -0 "$bwrap_pid" 2>/dev/null; then
    fail "the app did not become ready within 15 s"
  else
    exit_code=0
    wait "$bwrap_pid" || exit_code=$?
    bwrap_pid=""
    fail "the app exited with code $exit_code before it became ready"
  fi
  say "---- app output ----"; cat "$LOG"; say "--------------------"
  say "$passed passed, $failed failed"
  exit 1
fi

# Step 3: real HTTP on the routes.
code=$(http /); body=$(cat "$BODY")
if [[ $code == 200 && $body == *'"version"'* ]]; then ok "GET / -> 200: $body"; else fail "GET / -> $code: $body"; fi
code=$(http /healthz); body=$(cat "$BODY")
if [[ $code == 200 ]]; then ok "GET /healthz -> 200"; else fail "GET /healthz -> $code: $body"; fi
code=$(http /config); body=$(cat "$BODY")
if [[ $code != 200 ]]; then
  fail "GET /config -> $code: $body"
elif [[ $body == *"$secret_key"* || $body == *"$db_password"* ]]; then
  fail "GET /config -> 200 but the body contains a secret value"
elif [[ $body != *'"SECRET_KEY"'* || $body != *'"APP_ENV":"prod"'* ]]; then
  fail "GET /config -> 200 but not the expected configuration: $body"
else
  ok "GET /config -> 200, APP_ENV=prod, SECRET_KEY and DB_PASSWORD listed, neither value in the body"
fi

# Step 4: SIGTERM to the app (PID 1 in the sandbox): readiness fails at once, then it exits 0.
[[ -n $sandbox_pid ]] || sandbox_pid=$bwrap_pid
kill -TERM "$sandbox_pid"
termed=$(date +%s%N)
code=$(http /readyz)
if [[ $code == 503 ]]; then ok "after SIGTERM: GET /readyz -> 503 while draining"; else fail "after SIGTERM: GET /readyz -> $code, expected 503"; fi
exit_code=0
for _ in $(seq 1 200); do kill -0 "$bwrap_pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$bwrap_pid" 2>/dev/null; then
  fail "the app did not exit within 10 s of SIGTERM"
else
  wait "$bwrap_pid" || exit_code=$?
  sandbox_pid=""
  took=$((($(date +%s%N) - termed) / 1000000))
  if [[ $exit_code == 0 ]]; then ok "SIGTERM -> exit 0 after $took ms (drain 1 s)"; else fail "SIGTERM -> exit $exit_code after $took ms"; fi
fi

# Step 5: what the app logged: no failed write, no secret value, no refused code cache.
if grep -q 'app.js.cache was written by another' "$LOG"; then
  fail "the app refused the code cache that $NODE wrote for it"
else
  ok "the app started with its code cache (no refusal logged)"
fi
if grep -Eq 'EROFS|EACCES|EPERM' "$LOG"; then
  fail "the app hit a permission or read-only error:"; grep -E 'EROFS|EACCES|EPERM' "$LOG" | head -5
else
  ok "no EROFS/EACCES/EPERM in the app's $(wc -l <"$LOG") log lines"
fi
if grep -qF -e "$secret_key" -e "$db_password" "$LOG"; then fail "a secret value appears in the app's log"; else ok "no secret value in the app's log"; fi

if ((failed > 0)); then say "---- app output ----"; cat "$LOG"; say "--------------------"; fi
echo "artifact-test: $passed passed, $failed failed"
((failed == 0))
