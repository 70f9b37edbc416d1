// Load: wrk against each server and route, with the CPU each server spent, and the medians over the rounds.
import { join } from 'node:path';
import { median, progress, REPO, round, run } from './proc.mjs';
import { exited, groupCpuMs, rssMiB, SERVERS, status } from './servers.mjs';

export const ROUTES = ['/', '/config', '/healthz'];
export const CONNECTIONS = 32;
const REPORT_SCRIPT = join(REPO, 'tools', 'bench', 'lib', 'wrk-report.lua');

/** One wrk run: req/s, latency percentiles (ms), errors, and the server's CPU µs per request. */
export async function wrk(server, path, seconds) {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const cpuBefore = groupCpuMs(server.pid);
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '2s', '-s', REPORT_SCRIPT];
  const r = await run('wrk', [...args, url], { allowFail: true, timeoutMs: (seconds + 30) * 1000 });
  const cpuMs = groupCpuMs(server.pid) - cpuBefore;
  if (r.code !== 0)
    throw new Error(`wrk against ${server.name} ${path} failed:\n${r.out.slice(-2000)}`);
  if (exited(server))
    throw new Error(`${server.name} died during the load on ${path}:\n${server.tail()}`);
  const line = r.out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line)
    throw new Error(`wrk printed no WRK_JSON line (its done() hook):\n${r.out.slice(-1500)}`);
  const w = JSON.parse(line.slice('WRK_JSON '.length));
  const ms = (us) => us / 1000;
  const errors = Object.values(w.errors).reduce((a, b) => a + b, 0);
  return {
    rps: w.requests / (w.durationUs / 1e6),
    requests: w.requests,
    latencyMs: { p50: ms(w.latencyUs.p50), p90: ms(w.latencyUs.p90), p99: ms(w.latencyUs.p99) },
    errors,
    errorKinds: w.errors,
    cpuMs,
    cpuUsPerReq: w.requests > 0 ? (cpuMs * 1000) / w.requests : NaN,
  };
}

/**
 * Every round runs each route on each server back to back, in an order rotated from round to round, so that
 * the ratios taken within a round (server against server, route against route) compare neighbours in time.
 */
export async function load(servers, S) {
  const plan = (name) =>
    name === 'flask'
      ? { rounds: S.flaskRounds, duration: S.flaskDuration, warmup: S.flaskWarmup }
      : { rounds: S.rounds, duration: S.duration, warmup: S.warmup };
  const on = (path) => servers.filter((s) => (SERVERS[s.name].routes ?? ROUTES).includes(path));
  const results = Object.fromEntries(
    ROUTES.map((path) => [path, Object.fromEntries(on(path).map((s) => [s.name, []]))]),
  );
  for (const path of ROUTES) {
    for (const s of on(path)) {
      const code = await status(s.port, path);
      if (code !== 200)
        throw new Error(`${s.name} answers ${code || 'nothing'} on ${path}, expected 200`);
      progress.say(`warm-up ${s.name} ${path} (${plan(s.name).warmup} s)`);
      await wrk(s, path, plan(s.name).warmup);
    }
  }
  const rssMax = Object.fromEntries(servers.map((s) => [s.name, 0]));
  const sampler = setInterval(() => {
    for (const s of servers) rssMax[s.name] = Math.max(rssMax[s.name], rssMiB(s.pid) || 0);
  }, 100);
  try {
    const maxRounds = Math.max(...servers.map((s) => plan(s.name).rounds));
    for (let r = 0; r < maxRounds; r++) {
      const runs = ROUTES.flatMap((path) =>
        on(path)
          .filter((s) => plan(s.name).rounds > r)
          .map((s) => ({ s, path })),
      );
      for (let i = 0; i < runs.length; i++) {
        const { s, path } = runs[(i + r * 3) % runs.length];
        progress.say(`round ${r + 1}/${maxRounds} ${s.name} ${path} (${plan(s.name).duration} s)`);
        results[path][s.name].push({
          round: r + 1,
          ...(await wrk(s, path, plan(s.name).duration)),
        });
      }
    }
  } finally {
    clearInterval(sampler);
  }
  return {
    results,
    rssLoadMaxMiB: Object.fromEntries(Object.entries(rssMax).map(([k, v]) => [k, round(v, 1)])),
  };
}

/** Median over the rounds of a per-round ratio f(roundOf(a), roundOf(b)). */
function perRoundRatio(a, b, f) {
  const byRound = Object.fromEntries((b ?? []).map((x) => [x.round, x]));
  return median((a ?? []).filter((x) => x.round in byRound).map((x) => f(x, byRound[x.round])));
}

/** Medians per server and route, and the ratios the budget reads. */
export function summarize(results) {
  const out = {};
  for (const [path, byServer] of Object.entries(results)) {
    out[path] = {};
    for (const [name, rounds] of Object.entries(byServer)) {
      const rps = (other) => perRoundRatio(rounds, byServer[other], (x, y) => x.rps / y.rps);
      out[path][name] = {
        rps: round(median(rounds.map((x) => x.rps)), 0),
        p50Ms: round(median(rounds.map((x) => x.latencyMs.p50)), 3),
        p99Ms: round(median(rounds.map((x) => x.latencyMs.p99)), 3),
        cpuUsPerReq: round(median(rounds.map((x) => x.cpuUsPerReq)), 1),
        rounds: rounds.length,
        errors: rounds.reduce((n, x) => n + x.errors, 0),
        vsCeiling: round(rps('ceiling'), 4),
        vsNestFloor: round(rps('nestFloor'), 4),
        vsGunicorn: round(rps('gunicorn'), 3),
        // The same server's CPU per request on this route over its CPU per request on `/`, round by round.
        cpuVsRoot: round(
          perRoundRatio(rounds, results['/'][name], (x, y) => x.cpuUsPerReq / y.cpuUsPerReq),
          3,
        ),
      };
    }
  }
  return out;
}
