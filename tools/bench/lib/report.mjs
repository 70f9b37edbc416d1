// The printed report: the throughput table, start-up, memory, synth and artifact, and the performance budget
// (issue 18) with PASS or MISS for each goal.
import { CONNECTIONS, ROUTES } from './load.mjs';
import { SERVERS } from './servers.mjs';

export const GOALS = {
  rootVsNestFloor: 1,
  rootVsCeiling: 0.75,
  cpuVsRoot: 1.15,
  readyVsNestFloor: 1.6,
  rssIdleMiB: 70,
  p99Ms: 5,
  synthColdS: 3,
};

const pad = (s, n, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));
const ok = (x) => Number.isFinite(x);
const fmtInt = (x) => (ok(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fmt = (x, d = 2) => (ok(x) ? x.toFixed(d) : 'n/a');
const fmtPct = (x) => (ok(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
const fmtX = (x, d = 2) => (ok(x) ? `${x.toFixed(d)}x` : 'n/a');

/** @returns {{name: string, value: string, pass: boolean | null}[]} the budget, judged on one run's figures */
export function budget(r) {
  const t = r.throughput;
  const api = (path) => t[path]?.api ?? {};
  const check = (value, good) => (ok(value) ? good(value) : null);
  const goals = [
    {
      name: `/ req/s >= plain NestJS's`,
      value: fmtX(api('/').vsNestFloor),
      pass: check(api('/').vsNestFloor, (x) => x >= GOALS.rootVsNestFloor),
    },
    {
      name: `/ req/s >= ${GOALS.rootVsCeiling * 100} % of the node:http ceiling`,
      value: fmtPct(api('/').vsCeiling),
      pass: check(api('/').vsCeiling, (x) => x >= GOALS.rootVsCeiling),
    },
    ...['/config', '/healthz'].map((path) => ({
      name: `${path} CPU us/req within ${Math.round((GOALS.cpuVsRoot - 1) * 100)} % of /'s`,
      value: `${fmtX(api(path).cpuVsRoot)} (${fmt(api(path).cpuUsPerReq, 1)} vs ${fmt(api('/').cpuUsPerReq, 1)})`,
      pass: check(api(path).cpuVsRoot, (x) => x <= GOALS.cpuVsRoot),
    })),
  ];
  const sp = r.spawnToReady;
  const readyRatio = sp.api.medianMs / sp.nestFloor.medianMs;
  goals.push({
    name: `spawn-to-ready <= ${GOALS.readyVsNestFloor}x plain NestJS's`,
    value: `${fmtX(readyRatio)} (${sp.api.medianMs} vs ${sp.nestFloor.medianMs} ms)`,
    pass: check(readyRatio, (x) => x <= GOALS.readyVsNestFloor),
  });
  goals.push({
    name: `idle RSS <= ${GOALS.rssIdleMiB} MiB`,
    value: `${fmt(r.rss.idleMiB.api, 1)} MiB`,
    pass: check(r.rss.idleMiB.api, (x) => x <= GOALS.rssIdleMiB),
  });
  const p99 = Math.max(...ROUTES.map((path) => api(path).p99Ms ?? NaN));
  goals.push({
    name: `p99 <= ${GOALS.p99Ms} ms at ${CONNECTIONS} connections (worst route)`,
    value: `${fmt(p99)} ms`,
    pass: check(p99, (x) => x <= GOALS.p99Ms),
  });
  if (r.synth?.available) {
    goals.push({
      name: `synth of both environments <= ${GOALS.synthColdS} s (the process, cold)`,
      value: r.synth.direct.ok ? `${r.synth.direct.s} s` : 'FAILED',
      pass: r.synth.direct.ok ? r.synth.direct.s <= GOALS.synthColdS : false,
    });
  }
  return goals;
}

function throughputTable(r, S) {
  const lines = [
    `Throughput: wrk ${r.machine.wrk}, 1 thread, ${CONNECTIONS} connections; ${S.rounds} round(s) x ` +
      `${S.duration} s after ${S.warmup} s warm-up (flask dev: ${S.flaskRounds} x ${S.flaskDuration} s); medians`,
    `${pad('route', 9, true)}${pad('server', 20, true)}${pad('req/s', 9)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}` +
      `${pad('CPU us/req', 11)}${pad('vs ceiling', 11)}${pad('vs NestJS', 10)}${pad('vs gunicorn', 12)}`,
  ];
  for (const path of ROUTES) {
    for (const [name, x] of Object.entries(r.throughput[path])) {
      lines.push(
        `${pad(path, 9, true)}${pad(SERVERS[name].label, 20, true)}${pad(fmtInt(x.rps), 9)}` +
          `${pad(fmt(x.p50Ms), 8)}${pad(fmt(x.p99Ms), 8)}${pad(fmt(x.cpuUsPerReq, 1), 11)}` +
          `${pad(name === 'ceiling' ? '-' : fmtPct(x.vsCeiling), 11)}` +
          `${pad(name === 'nestFloor' || !ok(x.vsNestFloor) ? '-' : fmtX(x.vsNestFloor), 10)}` +
          `${pad(name === 'gunicorn' ? '-' : fmtX(x.vsGunicorn, 1), 12)}` +
          (x.errors ? `  ${x.errors} errors/non-2xx` : ''),
      );
    }
  }
  return lines;
}

function otherFigures(r, S) {
  const sp = r.spawnToReady;
  const { idleMiB, loadMaxMiB } = r.rss;
  const lines = [
    `spawn-to-ready (median of ${S.spawns})  api ${sp.api.medianMs} ms   plain NestJS ${sp.nestFloor.medianMs} ms` +
      `   ceiling ${sp.ceiling.medianMs} ms`,
    `  CPU until ready (median)     api ${sp.api.cpuMedianMs} ms   plain NestJS ${sp.nestFloor.cpuMedianMs} ms` +
      `   ceiling ${sp.ceiling.cpuMedianMs} ms   (= ${fmtX(sp.api.cpuMedianMs / sp.nestFloor.cpuMedianMs)} plain NestJS's)`,
    `RSS idle (MiB)                 api ${idleMiB.api}   plain NestJS ${idleMiB.nestFloor}   ceiling ${idleMiB.ceiling}`,
    `RSS under load (max MiB)       api ${loadMaxMiB.api}   plain NestJS ${loadMaxMiB.nestFloor}   ceiling ${loadMaxMiB.ceiling}`,
  ];
  const sy = r.synth;
  if (!sy) lines.push('synth                          skipped (--skip-synth)');
  else if (!sy.available) lines.push(`synth                          ${sy.note}`);
  else {
    const t = (x) => (x.ok ? `${x.s} s` : 'FAILED');
    lines.push(
      `synth, both envs               process ${t(sy.direct)} (median of 3, no Nx)   through npx nx: cold ` +
        `${t(sy.cold)}, cached ${t(sy.cached)}${sy.cached.fromCache ? '' : ' (not a cache hit)'}`,
      `synth, one env, cold           dev ${t(sy.perEnvCold.dev)}   prod ${t(sy.perEnvCold.prod)}` +
        `   (any npx nx command: ${sy.nxStartupS} s here)`,
    );
  }
  const files = Object.entries(r.artifact.files).map(([n, b]) => `${n} ${(b / 1e3).toFixed(0)} kB`);
  const total = Object.values(r.artifact.files).reduce((a, b) => a + b, 0);
  lines.push(
    `artifact ${r.artifact.dir}           ${(total / 1e6).toFixed(2)} MB: ${files.join(', ')}`,
  );
  lines.push(
    `build api (production)         ${r.build ? `${(r.build.ms / 1000).toFixed(1)} s${r.build.fromCache ? ' (Nx cache)' : ''}` : 'skipped'}`,
  );
  return lines;
}

export function report(r, S) {
  const goals = budget(r);
  const verdict = (pass) => (pass === null ? 'n/a ' : pass ? 'PASS' : 'MISS');
  const lines = [
    '',
    ...throughputTable(r, S),
    '',
    ...otherFigures(r, S),
    '',
    'Performance budget (against the plain NestJS app, tools/bench/nest-floor, in this run):',
    ...goals.map((g) => `  ${verdict(g.pass)}  ${pad(g.name, 58, true)} ${g.value}`),
    `goals: ${goals.filter((g) => g.pass).length}/${goals.length} PASS`,
    `load average ${r.machine.loadavgStart.join(' ')} at start, ${r.machine.loadavgEnd.join(' ')} at end ` +
      `(${r.machine.cpus} CPUs); run took ${r.durationS} s`,
  ];
  return { text: lines.join('\n'), goals };
}
