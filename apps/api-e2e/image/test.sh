#!/usr/bin/env bash
# Builds the API image from apps/api/Dockerfile (build.sh: buildah, on stand-ins of its base images) and runs it
# with podman the way the chart runs it: the image's own USER, a read-only root with only /tmp writable, the
# sandbox's rlimits, networking on loopback only. Checks what a user relies on: /, /healthz and /readyz answer 200
# (probes on the management port, as in the chart), the Dockerfile's HEALTHCHECK passes, the process is uid 65532,
# writes outside /tmp fail with EROFS, node is on no PATH and there is no shell, the chart's preStop command runs
# in the container and pauses, SIGTERM stops it with exit 0. Removes its container and image, also on failure.
#
#   apps/api-e2e/image/test.sh          (nx run api-e2e:test-image; needs root or passwordless sudo, and the
#                                        synthesized dev chart)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
MANIFESTS=$ROOT/dist/k8s-manifests/dev/templates/manifests.yaml
IMAGE=localhost/shipyard-api:image-test-$$
CONTAINER=shipyard-api-image-test-$$
# crun refuses this machine's hybrid cgroups; runc runs there (both come with podman's Debian packages).
PODMAN=(podman --runtime runc)

passed=0 failed=0
say() { echo "image-test: $*"; }
ok() { passed=$((passed + 1)); say "ok   - $*"; }
fail() { failed=$((failed + 1)); say "FAIL - $*"; }
die() { say "ERROR: $*" >&2; exit 1; }
check() { if [[ $1 == "$2" ]]; then ok "$3"; else fail "$3: got '$1', expected '$2'"; fi; }

if [[ $(id -u) != 0 ]]; then
  # buildah and podman run as root here (root's image store, chroot isolation): passwordless sudo will do.
  sudo -n true 2>/dev/null || die "run as root, or with passwordless sudo: buildah and podman use root's image store"
  exec sudo -n env "PATH=$PATH" bash "$0" "$@"
fi
[[ -s $MANIFESTS ]] || die "$MANIFESTS is missing: run \`npx nx run k8s-manifests:synth\` first"
command -v curl >/dev/null || die "curl is not on PATH"

# podman logs that it cannot reach systemd to schedule the HEALTHCHECK (no systemd here); the rest goes through.
quiet() { grep -v 'unable to get systemd connection' || true; }
cleanup() {
  "${PODMAN[@]}" rm --force --time 0 "$CONTAINER" >/dev/null 2>&1 || true
  podman rmi --force "$IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
"$ROOT/apps/api-e2e/image/build.sh" "$IMAGE"

# --- the image's configuration --------------------------------------------------------------------------------
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
check "$user" "65532:65532" "the image's USER is 65532:65532 (distroless nonroot, numeric)"

# --- run it like the chart does -------------------------------------------------------------------------------
free_port() { node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }
port=$(free_port)
mport=$(free_port)
while [[ $mport == "$port" ]]; do mport=$(free_port); done
secret_key="sk-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
db_password="db-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
# --read-only-tmpfs=false: podman would otherwise add writable /var/tmp and /run; the chart gives /tmp alone.
# --health-interval disable: no systemd here to schedule the HEALTHCHECK; the test runs it once, below.
"${PODMAN[@]}" run --detach --name "$CONTAINER" --network host --read-only --read-only-tmpfs=false --tmpfs /tmp \
  --health-interval disable \
  --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
  --env HOST=127.0.0.1 --env PORT="$port" --env MANAGEMENT_PORT="$mport" --env APP_ENV=prod \
  --env SECRET_KEY="$secret_key" --env DB_PASSWORD="$db_password" "$IMAGE" >/dev/null 2> >(quiet >&2)
say "started $CONTAINER: app on 127.0.0.1:$port, management on 127.0.0.1:$mport"

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1" || true; }
ready=""
run_start=$SECONDS
for _ in $(seq 1 300); do
  [[ $(podman inspect --format '{{.State.Running}}' "$CONTAINER") == true ]] || break
  if [[ $(code "$mport/readyz") == 200 ]]; then ready=$((SECONDS - run_start)); break; fi
  sleep 0.1
done
if [[ -z $ready ]]; then
  fail "the container did not become ready within 30 s (state: $(podman inspect --format '{{.State.Status}} exit {{.State.ExitCode}}' "$CONTAINER"))"
  podman logs "$CONTAINER" 2>&1 | tail -n 30
  die "$passed passed, $failed failed"
fi
ok "GET /readyz on the management port -> 200 within ${ready}s of start"
check "$(code "$port/")" 200 "GET / -> 200"
check "$(code "$mport/healthz")" 200 "GET /healthz (liveness, management port) -> 200"
check "$(code "$mport/readyz")" 200 "GET /readyz (readiness, management port) -> 200"
hc=0
podman healthcheck run "$CONTAINER" >/dev/null 2>&1 || hc=$?
check "$hc" 0 "the Dockerfile's HEALTHCHECK passes (podman healthcheck run)"

# --- who runs it, and what it may write -------------------------------------------------------------------------
pid=$(podman inspect --format '{{.State.Pid}}' "$CONTAINER")
check "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" "65532 65532 65532 65532" \
  "the app's process (host pid $pid) runs as uid 65532 (real, effective, saved, fs)"
write() { # path -> the error code of a write there, or "written"
  "${PODMAN[@]}" exec "$CONTAINER" /nodejs/bin/node -e '
    try { require("node:fs").writeFileSync(process.argv[1], "x"); console.log("written"); } catch (e) { console.log(e.code); }' "$1"
}
check "$(write /app/main.js.new)" EROFS "a write to /app (the app's code) fails with EROFS"
check "$(write /home/nonroot/probe)" EROFS "a write to /home/nonroot (the user's own home) fails with EROFS"
check "$(write /tmp/probe)" written "a write to /tmp (the tmpfs) succeeds"
owners=$("${PODMAN[@]}" exec "$CONTAINER" /nodejs/bin/node -e '
  const fs = require("node:fs");
  process.stdout.write(["/app", ...fs.readdirSync("/app").map((f) => "/app/" + f)]
    .filter((p) => { const s = fs.statSync(p); return s.uid !== 0 || (s.mode & 0o022) !== 0; }).join(" "))')
check "$owners" "" "/app and every file in it are root's and not group/other-writable (the code is safe on a writable root too)"

# --- no node on PATH, no shell, and the chart's preStop still runs ----------------------------------------------
out=$("${PODMAN[@]}" exec "$CONTAINER" node -v 2>&1) && fail "\`node -v\` ran in the container: node is on PATH ($out)" ||
  ok "\`podman exec ... node -v\` fails: node is on no PATH ($(grep -o 'executable file not found in $PATH' <<<"$out" || echo "$out"))"
out=$("${PODMAN[@]}" exec "$CONTAINER" /bin/sh -c true 2>&1) && fail "/bin/sh ran in the container" ||
  ok "\`podman exec ... /bin/sh\` fails: the image has no shell"
shells=$("${PODMAN[@]}" exec "$CONTAINER" /nodejs/bin/node -e '
  process.stdout.write(["/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/sh", "/usr/bin/bash", "/bin/busybox"].filter((p) => require("node:fs").existsSync(p)).join(" "))')
check "$shells" "" "no shell binary in the image (/bin/sh, bash, dash, busybox)"
mapfile -t prestop < <(node -e '
  const { parseAllDocuments } = require("yaml");
  const docs = parseAllDocuments(require("node:fs").readFileSync(process.argv[1], "utf8")).map((d) => d.toJS());
  const deploy = docs.find((d) => d && d.kind === "Deployment");
  const cmd = deploy?.spec?.template?.spec?.containers?.[0]?.lifecycle?.preStop?.exec?.command;
  if (!Array.isArray(cmd)) { console.error("no Deployment with lifecycle.preStop.exec.command in " + process.argv[1]); process.exit(1); }
  // Plain writes: console.log would colour a number when the caller sets FORCE_COLOR (Nx does).
  const grace = deploy.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  process.stdout.write([grace, ...cmd].map(String).join("\n") + "\n");' "$MANIFESTS")
grace=${prestop[0]} prestop=("${prestop[@]:1}")
t0=$(date +%s%N)
status=0
out=$("${PODMAN[@]}" exec "$CONTAINER" "${prestop[@]}" 2>&1) || status=$?
took_ms=$((($(date +%s%N) - t0) / 1000000))
if ((status != 0)); then
  fail "the chart's preStop command (${prestop[*]}) failed in the container (exit $status): $out"
elif ((took_ms < 1000 || took_ms > grace * 1000)); then
  fail "the chart's preStop command took ${took_ms} ms: expected a pause of at least 1 s, within the ${grace} s grace period"
else
  ok "the chart's preStop command (${prestop[*]}) runs in the container and pauses ${took_ms} ms (grace period ${grace} s)"
fi

# --- shutdown -----------------------------------------------------------------------------------------------------
t0=$(date +%s%N)
"${PODMAN[@]}" stop --time "$grace" "$CONTAINER" >/dev/null 2> >(quiet >&2)
took_ms=$((($(date +%s%N) - t0) / 1000000))
check "$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")" 0 "SIGTERM (podman stop) -> exit 0 after ${took_ms} ms"
logs=$(podman logs "$CONTAINER" 2>&1)
if grep -qF -e "$secret_key" -e "$db_password" <<<"$logs"; then fail "a secret value appears in the container's log"; else ok "no secret value in the container's log"; fi
if grep -Eq 'EROFS|EACCES|EPERM' <<<"$logs"; then fail "the app hit a permission or read-only error: $(grep -E 'EROFS|EACCES|EPERM' <<<"$logs" | head -3)"; else ok "no EROFS/EACCES/EPERM in the app's $(wc -l <<<"$logs") log lines"; fi

((failed == 0)) || { say "---- container log ----"; echo "$logs" | tail -n 30; }
say "$passed passed, $failed failed in $((SECONDS - started)) s (image build included)"
((failed == 0))
