// The servers the bench starts: the API, the plain NestJS reference, the node:http ceiling and the Flask
// original (gunicorn and Flask's development server); how each starts, when it counts as ready, and what it
// costs in memory and CPU, read from /proc.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { now, REPO, sleep, track, untrack } from './proc.mjs';
import { REFERENCE, venvBin } from './reference.mjs';

export const API_BUNDLE = join(REPO, 'dist', 'apps', 'api', 'main.js');
export const FLOOR_BUNDLE = join(REPO, 'dist', 'bench', 'nest-floor', 'main.js');

const serverEnv = (extra) => ({
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  LANG: process.env.LANG ?? 'C.UTF-8',
  ...extra,
});
const loopback = (port) => ({ HOST: '127.0.0.1', PORT: String(port) });

/** The Node.js that runs the Node servers and writes their code caches (--node). */
export const runtime = { node: process.execPath };

/** name -> label, ready path, routes it is loaded on (all when absent), and (port) => [cmd, args, cwd, env]. */
export const SERVERS = {
  api: {
    label: 'api (NestJS)',
    readyPath: '/readyz',
    cmd: (port) => [
      runtime.node,
      [API_BUNDLE],
      REPO,
      serverEnv({ ...loopback(port), LOG_LEVEL: 'info', APP_ENV: 'dev', NODE_ENV: 'production' }),
    ],
  },
  // The least NestJS on Fastify does, bundled as the API is: the yardstick of the budget.
  nestFloor: {
    label: 'plain NestJS',
    readyPath: '/readyz',
    routes: ['/'],
    cmd: (port) => [
      runtime.node,
      [FLOOR_BUNDLE],
      REPO,
      serverEnv({ ...loopback(port), NODE_ENV: 'production' }),
    ],
  },
  ceiling: {
    label: 'ceiling (node:http)',
    readyPath: '/healthz',
    cmd: (port) => [
      runtime.node,
      [join(REFERENCE, 'ceiling_node.js')],
      REFERENCE,
      serverEnv({ PORT: String(port) }),
    ],
  },
  gunicorn: {
    label: 'gunicorn -w 1',
    readyPath: '/healthz',
    cmd: (port) => [
      venvBin('gunicorn'),
      ['-w', '1', '-b', `127.0.0.1:${port}`, '--chdir', REFERENCE, 'baseline_flask:app'],
      REFERENCE,
      serverEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
    ],
  },
  flask: {
    label: 'flask dev server',
    readyPath: '/healthz',
    cmd: (port) => [
      venvBin('python3'),
      ['baseline_flask.py'],
      REFERENCE,
      serverEnv({ PORT: String(port), PYTHONDONTWRITEBYTECODE: '1' }),
    ],
  },
};

export const freePort = () =>
  new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });

/** @returns the status code of a GET, or 0 when nothing answered */
export const status = (port, path) =>
  new Promise((ok) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      ok(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => ok(0));
  });

export const rssMiB = (pid) => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

export const cpuClock = { ticksPerSecond: 100 };

/** CPU time (user + system) of every process in a group, in ms: the cost per request, whatever the load around. */
export function groupCpuMs(pgid) {
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
  return (ticks * 1000) / cpuClock.ticksPerSecond;
}

/** CPU time every thread of a process has spent so far, in ms, at nanosecond resolution (schedstat). */
export function processCpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* thread gone meanwhile */
    }
  }
  return ns / 1e6;
}

/** Spawns a server and waits for the first 200 on its ready path; returns its handle and spawn-to-ready ms. */
export async function startServer(name, { timeoutMs = 30e3 } = {}) {
  const port = await freePort();
  const [cmd, args, cwd, env] = SERVERS[name].cmd(port);
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
    if ((await status(port, SERVERS[name].readyPath)) === 200) break;
    if (now() - started > timeoutMs)
      throw new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${tail}`);
    await sleep(2);
  }
  const readyMs = now() - started;
  const cpuToReadyMs = processCpuMs(child.pid);
  return { name, port, child, pid: child.pid, readyMs, cpuToReadyMs, tail: () => tail };
}

export const exited = (server) =>
  server.child.exitCode !== null || server.child.signalCode !== null;

export async function stopServer(server) {
  if (exited(server)) return;
  const gone = new Promise((r) => server.child.once('exit', r));
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone;
  // Then its descendants (gunicorn's worker): gone once init has reaped them; bounded wait.
  for (const until = now() + 3000; now() < until; await sleep(20)) {
    try {
      process.kill(-server.pid, 0);
    } catch {
      untrack(server.pid);
      return;
    }
  }
}
