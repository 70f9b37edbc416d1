#!/usr/bin/env node
// `npm run bench`: the API against the node:http ceiling and the Flask service it replaces, side by side in
// one run, so that the ratios hold on a noisy machine. Reports, never fails on a missed goal (exit 0 unless
// something broke). See tools/bench/README.md.
//
// Options: --rounds N (3)  --duration S (5)  --warmup S (2)  --spawns N (5)
//          --quick (1 round x 2 s, 1 s warm-up, 2 spawns)  --skip-build  --skip-synth
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  lstatSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWrk } from './wrk.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED_BENCH = resolve(
  process.env.SHIPYARD_SHARED_DIR ?? join(REPO, '..', 'shared'),
  'bench',
);
const CACHE =
  process.env.SHIPYARD_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'shipyard');
const PY_PINS = { gunicorn: '27.0.1', flask: '3.1.3' };
const VENV = join(CACHE, `bench-venv-gunicorn${PY_PINS.gunicorn}-flask${PY_PINS.flask}`);
const OUT = join(REPO, 'dist', 'bench', 'results.json');
const API_BUNDLE = join(REPO, 'dist', 'apps', 'api', 'main.js');
const FLOOR_CONFIG = join(REPO, 'tools', 'bench', 'nest-floor', 'webpack.config.cjs');
const FLOOR_BUNDLE = join(REPO, 'dist', 'bench', 'nest-floor', 'main.js');
const ROUTES = ['/', '/config', '/healthz'];
const CONNECTIONS = 32;
const GOALS = {
  root: 0.85,
  config: 0.7,
  healthz: 0.7,
  p99Ms: 5,
  readyX: 2,
  rssIdleMiB: 70,
  synthColdS: 3,
};

// ---------------------------------------------------------------- output helpers
const groups = new Set(); // process groups of the children still to kill (see track)

function die(message) {
  progress.done();
  console.error(`[bench] error: ${message}`);
  killAll();
  process.exit(1);
}
const progress = {
  tty: process.stderr.isTTY,
  shown: false,
  say(message) {
    if (this.tty) {
      process.stderr.write(`\r\x1b[K[bench] ${message}`);
      this.shown = true;
    } else {
      process.stderr.write(`[bench] ${message}\n`);
    }
  },
  done() {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  },
};
// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) die(`${name} needs a positive number`);
  return n;
};
const quick = flag('--quick');
const S = {
  rounds: opt('--rounds', quick ? 1 : 3),
  duration: opt('--duration', quick ? 2 : 5),
  warmup: opt('--warmup', quick ? 1 : 2),
  spawns: opt('--spawns', quick ? 2 : 5),
  // The Flask development server manages ~700 req/s: one shorter round is enough to place it.
  flaskRounds: 1,
  flaskDuration: Math.min(3, opt('--duration', quick ? 2 : 5)),
  flaskWarmup: 1,
  build: !flag('--skip-build'),
  synth: !flag('--skip-synth'),
};

// ---------------------------------------------------------------- process bookkeeping
// Every child runs in its own process group (detached), so that one kill reaches its descendants too
// (gunicorn's worker, nx's workers); the groups are killed on any exit, Ctrl-C and errors included.
function track(child) {
  groups.add(child.pid);
  child.once('exit', () => {
    try {
      process.kill(-child.pid, 0); // descendants still alive: keep the group for the final kill
    } catch {
      groups.delete(child.pid);
    }
  });
  return child;
}
function killAll() {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  groups.clear();
}
process.on('exit', killAll);
for (const [sig, n] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
]) {
  process.on(sig, () => {
    progress.done();
    console.error(`[bench] ${sig}: stopping every process it started`);
    killAll();
    process.exit(128 + n);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

function du(path) {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

/** Runs a command to completion, output captured (last 64 KiB); rejects on a non-zero exit unless allowFail. */
function run(
  cmd,
  args,
  { env = process.env, cwd = REPO, allowFail = false, timeoutMs = 15 * 60e3 } = {},
) {
  return new Promise((ok, fail) => {
    const started = now();
    let child;
    try {
      child = track(
        spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
      );
    } catch (error) {
      return fail(error);
    }
    let out = '';
    const keep = (chunk) => {
      out += chunk;
      if (out.length > 65536) out = out.slice(-65536);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, out, ms: now() - started };
      if (code === 0 || allowFail) return ok(result);
      const e = new Error(
        `'${cmd} ${args.join(' ')}' exited with ${code ?? signal}:\n${out.slice(-4000)}`,
      );
      e.result = result;
      fail(e);
    });
  });
}
const which = async (cmd) =>
  (await run('sh', ['-c', `command -v ${cmd}`], { allowFail: true })).code === 0;

const freePort = () =>
  new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });

const status = (port, path) =>
  new Promise((ok) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      ok(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => ok(0));
  });

const rssKiB = (pid) => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
};
const mib = (kib) => kib / 1024;

// CPU time (user + system) of every process in a group, in ms: the cost per request, whatever the load around.
let clkTck = 100;
function groupCpuMs(pgid) {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return (ticks * 1000) / clkTck;
}

// ---------------------------------------------------------------- servers
function serverEnv(extra) {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...extra,
  };
}

const python = () => join(VENV, 'bin', 'python3');
const DEFS = {
  api: {
    label: 'api (NestJS)',
    readyPath: '/readyz',
    cmd: (port) => [
      process.execPath,
      [API_BUNDLE],
      REPO,
      serverEnv({
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        APP_ENV: 'dev',
        NODE_ENV: 'production',
      }),
    ],
  },
  // A reference: the least NestJS on Fastify does, bundled as the API is. Loaded on / only.
  nestFloor: {
    label: 'plain NestJS',
    readyPath: '/readyz',
    routes: ['/'],
    cmd: (port) => [
      process.execPath,
      [FLOOR_BUNDLE],
      REPO,
      serverEnv({ HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production' }),
    ],
  },
  ceiling: {
    label: 'ceiling (node:http)',
    readyPath: '/healthz',
    cmd: (port) => [
      process.execPath,
      [join(SHARED_BENCH, 'ceiling_node.js')],
      SHARED_BENCH,
      serverEnv({ PORT: String(port) }),
    ],
  },
  gunicorn: {
    label: 'gunicorn -w 1',
    readyPath: '/healthz',
    cmd: (port) => [
      join(VENV, 'bin', 'gunicorn'),
      ['-w', '1', '-b', `127.0.0.1:${port}`, '--chdir', SHARED_BENCH, 'baseline_flask:app'],
      SHARED_BENCH,
      serverEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
    ],
  },
  flask: {
    label: 'flask dev server',
    readyPath: '/healthz',
    cmd: (port) => [
      python(),
      ['baseline_flask.py'],
      SHARED_BENCH,
      serverEnv({ PORT: String(port), PYTHONDONTWRITEBYTECODE: '1' }),
    ],
  },
};

/** Spawns a server and waits for the first 200 on its ready path; returns its handle and spawn-to-ready ms. */
async function startServer(name, { timeoutMs = 30e3 } = {}) {
  const port = await freePort();
  const [cmd, args, cwd, env] = DEFS[name].cmd(port);
  const started = now();
  const child = track(
    spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let spawnError = null;
  child.once('error', (e) => (spawnError = e));
  for (;;) {
    if (spawnError) throw new Error(`${name}: cannot start '${cmd}': ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail}`,
      );
    }
    if ((await status(port, DEFS[name].readyPath)) === 200) break;
    if (now() - started > timeoutMs)
      throw new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${tail}`);
    await sleep(2);
  }
  return { name, port, child, pid: child.pid, readyMs: now() - started, tail: () => tail };
}

async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    return;
  }
  await exited;
  // Then its descendants (gunicorn's worker): gone once init has reaped them; bounded wait.
  for (const until = now() + 3000; now() < until; await sleep(20)) {
    try {
      process.kill(-server.pid, 0);
    } catch {
      groups.delete(server.pid);
      return;
    }
  }
}

// ---------------------------------------------------------------- steps
async function ensureWrk() {
  if (await which('wrk')) return;
  progress.say('installing wrk (apt-get install -y wrk)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env, allowFail: true });
  if (r.code !== 0) {
    await run('apt-get', ['update', '-qq'], { env });
    r = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env, allowFail: true });
  }
  if (r.code !== 0 || !(await which('wrk')))
    throw new Error(`could not install wrk:\n${r.out.slice(-2000)}`);
}

async function ensureVenv() {
  const marker = join(VENV, '.complete');
  if (existsSync(marker) && existsSync(join(VENV, 'bin', 'gunicorn'))) return;
  progress.say(`installing gunicorn ${PY_PINS.gunicorn} and Flask ${PY_PINS.flask} into ${VENV}`);
  // Built in place (a venv's scripts name their interpreter by absolute path); the marker makes a half-built
  // venv count as missing.
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(dirname(VENV), { recursive: true });
  await run('python3', ['-m', 'venv', VENV]);
  await run(join(VENV, 'bin', 'pip'), [
    'install',
    '-q',
    '--disable-pip-version-check',
    `gunicorn==${PY_PINS.gunicorn}`,
    `flask==${PY_PINS.flask}`,
  ]);
  if (!existsSync(join(VENV, 'bin', 'gunicorn'))) throw new Error('gunicorn missing after install');
  writeFileSync(marker, `${JSON.stringify(PY_PINS)}\n`);
}

const nxEnv = () => ({ ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' });

async function build() {
  progress.say('building api (npx nx build api)');
  const r = await run('npx', ['nx', 'build', 'api'], {
    env: nxEnv(),
  });
  if (!existsSync(API_BUNDLE))
    throw new Error(`build finished but ${relative(REPO, API_BUNDLE)} is missing`);
  return { ms: r.ms, fromCache: /from the cache|existing outputs match the cache/i.test(r.out) };
}

/** The plain NestJS reference (tools/bench/nest-floor), built with the API's bundle settings. */
async function buildFloor() {
  progress.say('building the plain NestJS reference (tools/bench/nest-floor)');
  const r = await run('npx', ['webpack', '--config', FLOOR_CONFIG]);
  if (!existsSync(FLOOR_BUNDLE))
    throw new Error(`webpack finished but ${relative(REPO, FLOOR_BUNDLE)} is missing`);
  return { ms: r.ms };
}

async function synth() {
  progress.say('synth: looking for k8s-manifests:synth');
  const show = await run('npx', ['nx', 'show', 'project', 'k8s-manifests', '--json'], {
    env: nxEnv(),
    allowFail: true,
  });
  let targets = {};
  try {
    targets = JSON.parse(show.out.slice(show.out.indexOf('{'))).targets ?? {};
  } catch {
    /* project missing or unreadable */
  }
  if (!targets.synth) return { available: false, note: 'n/a (target missing)' };
  const once = async (label, extra) => {
    progress.say(`synth: ${label}`);
    const r = await run('npx', ['nx', 'run', 'k8s-manifests:synth', ...extra], {
      env: nxEnv(),
      allowFail: true,
    });
    return {
      command: `npx nx run k8s-manifests:synth ${extra.join(' ')}`.trim(),
      ok: r.code === 0,
      s: round(r.ms / 1000, 2),
      fromCache:
        /read the output from the cache|existing outputs match the cache|\[local cache\]/i.test(
          r.out,
        ),
      ...(r.code === 0 ? {} : { error: r.out.slice(-1500) }),
    };
  };
  // One environment at a time first, so that dist/ ends as a full synth leaves it.
  const dev = await once('dev, cold', ['--env=dev', '--skip-nx-cache']);
  const prod = await once('prod, cold', ['--env=prod', '--skip-nx-cache']);
  const cold = await once('both environments, cold (--skip-nx-cache)', ['--skip-nx-cache']);
  let cached = await once('both environments, cached', []);
  if (cached.ok && !cached.fromCache)
    cached = await once('both environments, cached (2nd try)', []);
  // What any nx command costs here before a task runs: read cold and cached figures against it.
  const nxStartupS = round(show.ms / 1000, 2);
  // The synth process itself, exactly what the target runs, without Nx: median of 3 fresh processes.
  const direct = [];
  for (let i = 1; i <= 3; i++) {
    progress.say(`synth: both environments, the process alone ${i}/3`);
    const out = join(tmpdir(), `bench-synth-${process.pid}-${i}`);
    const r = await run(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/k8s-manifests/src/synth.ts', `--out=${out}`],
      { env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json' }, allowFail: true },
    );
    rmSync(out, { recursive: true, force: true });
    direct.push({ ok: r.code === 0, s: round(r.ms / 1000, 2) });
  }
  direct.sort((a, b) => a.s - b.s);
  return {
    available: true,
    direct: direct[1],
    cold,
    cached,
    perEnvCold: { dev, prod },
    nxStartupS,
  };
}

const sizeOrNull = (path) => (existsSync(path) ? lstatSync(path).size : null);

function artifact() {
  const dir = dirname(API_BUNDLE);
  const result = {
    dir: relative(REPO, dir),
    bytes: du(dir),
    mainJsBytes: lstatSync(API_BUNDLE).size,
    // The bundle and V8's code cache for it, run by main.js (apps/api/launcher/main.cjs).
    appJsBytes: sizeOrNull(join(dir, 'app.js')),
    codeCacheBytes: sizeOrNull(join(dir, 'app.js.cache')),
  };
  for (const sub of ['node_modules', 'workspace_modules']) {
    const p = join(dir, sub);
    if (existsSync(p)) result[`${sub}Bytes`] = du(p);
  }
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    result.declaredDependencies = Object.keys(pkg.dependencies ?? {}).length;
  } catch {
    result.declaredDependencies = null;
  }
  return result;
}

async function spawnTimes() {
  const times = { api: [], nestFloor: [], ceiling: [] };
  const order = Object.keys(times);
  for (let i = 0; i < S.spawns; i++) {
    for (const name of i % 2 ? order.toReversed() : order) {
      progress.say(`spawn-to-ready ${i + 1}/${S.spawns} ${name}`);
      const server = await startServer(name);
      times[name].push(server.readyMs);
      await stopServer(server);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => [
      k,
      { medianMs: round(median(v), 1), runsMs: v.map((x) => round(x, 1)) },
    ]),
  );
}

async function wrk(server, path, seconds) {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const cpuBefore = groupCpuMs(server.pid);
  const r = await run(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '2s', '--latency', url],
    {
      allowFail: true,
      timeoutMs: (seconds + 30) * 1000,
    },
  );
  if (r.code !== 0)
    throw new Error(`wrk against ${server.name} ${path} failed:\n${r.out.slice(-2000)}`);
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    throw new Error(`${server.name} died during the load on ${path}:\n${server.tail()}`);
  }
  const res = parseWrk(r.out);
  const cpuMs = groupCpuMs(server.pid) - cpuBefore;
  return { ...res, cpuMs, cpuUsPerReq: res.requests > 0 ? (cpuMs * 1000) / res.requests : NaN };
}

async function load(servers) {
  const plan = (name) =>
    name === 'flask'
      ? { rounds: S.flaskRounds, duration: S.flaskDuration, warmup: S.flaskWarmup }
      : { rounds: S.rounds, duration: S.duration, warmup: S.warmup };
  const results = {};
  const rssLoad = { api: 0, ceiling: 0 };
  const maxRounds = Math.max(...servers.map((s) => plan(s.name).rounds));
  for (const path of ROUTES) {
    const on = servers.filter((s) => (DEFS[s.name].routes ?? ROUTES).includes(path));
    results[path] = Object.fromEntries(on.map((s) => [s.name, []]));
    for (const s of on) {
      const code = await status(s.port, path);
      if (code !== 200)
        throw new Error(`${s.name} answers ${code || 'nothing'} on ${path}, expected 200`);
    }
    let sampler = null;
    if (path === '/') {
      sampler = setInterval(() => {
        for (const s of servers)
          if (s.name in rssLoad) rssLoad[s.name] = Math.max(rssLoad[s.name], rssKiB(s.pid) || 0);
      }, 100);
    }
    try {
      for (const s of on) {
        progress.say(`warm-up ${s.name} ${path} (${plan(s.name).warmup} s)`);
        await wrk(s, path, plan(s.name).warmup);
      }
      for (let r = 0; r < maxRounds; r++) {
        // Rotate the order each round so that no server always runs right after the same neighbour.
        const order = on.filter((s) => plan(s.name).rounds > r);
        const rotated = order.map((_, i) => order[(i + r) % order.length]);
        for (const s of rotated) {
          progress.say(
            `round ${r + 1}/${maxRounds} ${s.name} ${path} (${plan(s.name).duration} s)`,
          );
          const res = await wrk(s, path, plan(s.name).duration);
          results[path][s.name].push({ round: r + 1, ...res });
        }
      }
    } finally {
      if (sampler) clearInterval(sampler);
    }
  }
  return {
    results,
    rssLoadMiB: Object.fromEntries(Object.entries(rssLoad).map(([k, v]) => [k, round(mib(v), 1)])),
  };
}

/** Medians per server and route; ratios as the median of per-round ratios (servers run back to back in a round). */
function summarize(results) {
  const out = {};
  for (const [path, byServer] of Object.entries(results)) {
    out[path] = {};
    const perRound = (name) => Object.fromEntries(byServer[name].map((x) => [x.round, x.rps]));
    const ratio = (a, b) => {
      const ra = perRound(a);
      const rb = perRound(b);
      return median(
        Object.keys(ra)
          .filter((k) => k in rb)
          .map((k) => ra[k] / rb[k]),
      );
    };
    for (const [name, rounds] of Object.entries(byServer)) {
      out[path][name] = {
        rps: round(median(rounds.map((x) => x.rps)), 0),
        p50Ms: round(median(rounds.map((x) => x.latencyMs.p50)), 3),
        p99Ms: round(median(rounds.map((x) => x.latencyMs.p99)), 3),
        cpuUsPerReq: round(median(rounds.map((x) => x.cpuUsPerReq)), 1),
        rounds: rounds.length,
        errors: rounds.reduce((n, x) => n + x.errors, 0),
        vsCeiling: round(ratio(name, 'ceiling'), 4),
        vsGunicorn: round(ratio(name, 'gunicorn'), 3),
        // Load-independent view: the ceiling's CPU per request over this server's (1 = as cheap as bare node:http).
        cpuEfficiencyVsCeiling: round(
          median(byServer.ceiling.map((x) => x.cpuUsPerReq)) /
            median(rounds.map((x) => x.cpuUsPerReq)),
          3,
        ),
      };
    }
  }
  return out;
}

// ---------------------------------------------------------------- report
const pad = (s, n, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fmtMs = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const fmtPct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}x` : 'n/a');
const verdict = (pass) => (pass === null ? 'n/a' : pass ? 'PASS' : 'MISS');

function report(r) {
  const lines = [];
  const goals = [];
  const goal = (name, target, value, pass) => goals.push({ name, target, value, pass });
  const sum = r.throughput;
  lines.push('');
  lines.push(
    `Throughput: wrk ${r.machine.wrk}, 1 thread, ${CONNECTIONS} connections; ` +
      `${S.rounds} round(s) x ${S.duration} s after ${S.warmup} s warm-up (flask dev: ${S.flaskRounds} x ${S.flaskDuration} s); medians`,
  );
  lines.push(
    `${pad('route', 9, true)}${pad('server', 20, true)}${pad('req/s', 9)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}` +
      `${pad('CPU us/req', 12)}${pad('vs ceiling', 12)}${pad('vs gunicorn', 13)}  goal`,
  );
  const routeGoal = { '/': GOALS.root, '/config': GOALS.config, '/healthz': GOALS.healthz };
  for (const path of ROUTES) {
    for (const name of Object.keys(sum[path])) {
      const x = sum[path][name];
      let g = '';
      if (name === 'api') {
        const passR = Number.isFinite(x.vsCeiling) ? x.vsCeiling >= routeGoal[path] : null;
        const passP = Number.isFinite(x.p99Ms) ? x.p99Ms <= GOALS.p99Ms : null;
        goal(
          `${path} >= ${routeGoal[path] * 100} % of ceiling`,
          routeGoal[path],
          x.vsCeiling,
          passR,
        );
        goal(`${path} p99 <= ${GOALS.p99Ms} ms`, GOALS.p99Ms, x.p99Ms, passP);
        g = `>=${routeGoal[path] * 100}% ${verdict(passR)}; p99<=${GOALS.p99Ms}ms ${verdict(passP)}`;
      }
      if (x.errors) g += `${g ? '; ' : ''}${x.errors} errors/non-2xx`;
      lines.push(
        `${pad(path, 9, true)}${pad(DEFS[name].label, 20, true)}${pad(fmtInt(x.rps), 9)}${pad(fmtMs(x.p50Ms), 9)}` +
          `${pad(fmtMs(x.p99Ms), 9)}${pad(Number.isFinite(x.cpuUsPerReq) ? x.cpuUsPerReq.toFixed(1) : 'n/a', 12)}` +
          `${pad(name === 'ceiling' ? '-' : fmtPct(x.vsCeiling), 12)}` +
          `${pad(name === 'gunicorn' ? '-' : fmtX(x.vsGunicorn), 13)}  ${g}`,
      );
    }
  }
  lines.push('');
  const sp = r.spawnToReady;
  const readyRatio = sp.api.medianMs / sp.ceiling.medianMs;
  const passReady = Number.isFinite(readyRatio) ? readyRatio <= GOALS.readyX : null;
  goal(`spawn-to-ready <= ${GOALS.readyX}x ceiling`, GOALS.readyX, round(readyRatio, 2), passReady);
  lines.push(
    `spawn-to-ready (median of ${S.spawns})  api ${sp.api.medianMs} ms   ceiling ${sp.ceiling.medianMs} ms` +
      `   = ${fmtX(readyRatio)}   goal <= ${GOALS.readyX}x ${verdict(passReady)}`,
  );
  lines.push(
    `  reference: plain NestJS + Fastify (tools/bench/nest-floor, bundled as the API) ${sp.nestFloor.medianMs} ms` +
      ` = ${fmtX(sp.nestFloor.medianMs / sp.ceiling.medianMs)} ceiling: what the framework alone takes`,
  );
  const rss = r.rss;
  const passRss = Number.isFinite(rss.idleMiB.api) ? rss.idleMiB.api <= GOALS.rssIdleMiB : null;
  goal(`RSS idle <= ${GOALS.rssIdleMiB} MiB`, GOALS.rssIdleMiB, rss.idleMiB.api, passRss);
  lines.push(
    `RSS idle (MiB)                 api ${rss.idleMiB.api}   ceiling ${rss.idleMiB.ceiling}` +
      `   goal api <= ${GOALS.rssIdleMiB} ${verdict(passRss)}   (plain NestJS ${rss.idleMiB.nestFloor})`,
  );
  lines.push(
    `RSS under load on / (max MiB)  api ${rss.loadMaxMiB.api}   ceiling ${rss.loadMaxMiB.ceiling}`,
  );
  const sy = r.synth;
  if (!sy) {
    lines.push('synth                          skipped (--skip-synth)');
  } else if (!sy.available) {
    lines.push(`synth                          ${sy.note}`);
    goal(`synth both environments <= ${GOALS.synthColdS} s cold`, GOALS.synthColdS, null, null);
  } else {
    const t = (x) => (x.ok ? `${x.s} s` : 'FAILED');
    const passSynth = sy.direct.ok ? sy.direct.s <= GOALS.synthColdS : false;
    goal(
      `synth both environments <= ${GOALS.synthColdS} s cold (the synth process)`,
      GOALS.synthColdS,
      sy.direct.s,
      passSynth,
    );
    lines.push(
      `synth, both envs, process      ${t(sy.direct)} (median of 3, no Nx)   goal <= ${GOALS.synthColdS} s ${verdict(passSynth)}`,
    );
    lines.push(
      `synth, both envs               cold ${t(sy.cold)}   cached ${t(sy.cached)}${sy.cached.fromCache ? '' : ' (not a cache hit)'}` +
        `   (through npx nx)`,
    );
    lines.push(
      `synth, one env, cold           dev ${t(sy.perEnvCold.dev)}   prod ${t(sy.perEnvCold.prod)}` +
        `   (any npx nx command: ${sy.nxStartupS} s here)`,
    );
  }
  const a = r.artifact;
  const kB = (bytes) => (bytes === null ? 'missing' : `${(bytes / 1e3).toFixed(0)} kB`);
  const nm =
    a.node_modulesBytes !== undefined
      ? `pruned node_modules ${(a.node_modulesBytes / 1e6).toFixed(2)} MB`
      : `no pruned node_modules in ${a.dir} (${a.declaredDependencies ?? '?'} dependencies declared in its package.json)`;
  lines.push(
    `artifact ${a.dir}           ${(a.bytes / 1e6).toFixed(2)} MB total (main.js ${kB(a.mainJsBytes)}, app.js ${kB(a.appJsBytes)}, ` +
      `code cache ${kB(a.codeCacheBytes)}); ${nm}`,
  );
  lines.push(
    `build api (production)         ${r.build ? `${(r.build.ms / 1000).toFixed(1)} s${r.build.fromCache ? ' (Nx cache)' : ''}` : 'skipped'}`,
  );
  lines.push('');
  const passed = goals.filter((g) => g.pass === true).length;
  lines.push(
    `goals: ${passed}/${goals.length} PASS` +
      (goals.some((g) => g.pass === false)
        ? `; MISS: ${goals
            .filter((g) => g.pass === false)
            .map((g) => g.name)
            .join(', ')}`
        : ''),
  );
  lines.push(
    `load average ${r.machine.loadavgStart.join(' ')} at start, ${r.machine.loadavgEnd.join(' ')} at end ` +
      `(${r.machine.cpus} CPUs); run took ${r.durationS} s`,
  );
  return { text: lines.join('\n'), goals };
}

// ---------------------------------------------------------------- main
async function main() {
  const t0 = now();
  for (const f of ['ceiling_node.js', 'baseline_flask.py']) {
    if (!existsSync(join(SHARED_BENCH, f))) {
      die(
        `${join(SHARED_BENCH, f)} not found: the reference servers live in <repo>/../shared/bench ` +
          `(set SHIPYARD_SHARED_DIR to the shared/ directory if it is elsewhere)`,
      );
    }
  }
  const r = {
    startedAt: new Date().toISOString(),
    settings: { connections: CONNECTIONS, wrkThreads: 1, ...S, routes: ROUTES, goals: GOALS },
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadavgStart: loadavg().map((x) => round(x, 2)),
    },
  };
  r.build = S.build ? await build() : null;
  r.floorBuild = S.build || !existsSync(FLOOR_BUNDLE) ? await buildFloor() : null;
  if (!existsSync(API_BUNDLE))
    die(`${API_BUNDLE} missing: build the API first (or drop --skip-build)`);
  await ensureWrk();
  clkTck = Number((await run('getconf', ['CLK_TCK'], { allowFail: true })).out.trim()) || 100;
  await ensureVenv();
  r.machine.wrk =
    ((await run('wrk', ['--version'], { allowFail: true })).out.match(/wrk (\S+)/) ?? [])[1] ?? '?';
  r.machine.gunicorn = (
    await run(join(VENV, 'bin', 'gunicorn'), ['--version'], { allowFail: true })
  ).out.trim();
  r.artifact = artifact();
  // CPU-heavy steps that do not need the servers come first; the servers then have the machine to themselves.
  r.synth = S.synth ? await synth() : null;
  r.spawnToReady = await spawnTimes();

  const servers = [];
  for (const name of ['api', 'nestFloor', 'ceiling', 'gunicorn', 'flask']) {
    progress.say(`starting ${name}`);
    servers.push(await startServer(name));
  }
  await sleep(1000);
  const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
  r.servers = Object.fromEntries(
    servers.map((s) => [
      s.name,
      { port: s.port, pid: s.pid, command: DEFS[s.name].cmd(s.port).slice(0, 2).flat().join(' ') },
    ]),
  );
  const idle = {
    api: round(mib(rssKiB(byName.api.pid)), 1),
    ceiling: round(mib(rssKiB(byName.ceiling.pid)), 1),
    nestFloor: round(mib(rssKiB(byName.nestFloor.pid)), 1),
  };
  const { results, rssLoadMiB } = await load(servers);
  r.rss = { idleMiB: idle, loadMaxMiB: rssLoadMiB };
  r.throughput = summarize(results);
  r.raw = results;
  progress.say('stopping servers');
  for (const s of servers) await stopServer(s);
  progress.done();

  r.machine.loadavgEnd = loadavg().map((x) => round(x, 2));
  r.durationS = round((now() - t0) / 1000, 1);
  const { text, goals } = report(r);
  r.goals = goals;
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(r, null, 2)}\n`);
  console.log(text);
  console.log(`full results: ${relative(process.cwd(), OUT) || OUT}`);
}

main().catch((error) => die(error?.stack ?? String(error)));
