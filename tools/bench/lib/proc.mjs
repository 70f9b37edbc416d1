// Process bookkeeping for the bench: every child runs in its own process group (detached), so that one kill
// reaches its descendants too (gunicorn's worker, nx's workers); the groups are killed on any exit, Ctrl-C and
// errors included. Also the progress line on stderr and small numeric helpers.
import { spawn } from 'node:child_process';

export const REPO = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');

const groups = new Set();

export const progress = {
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

export function die(message) {
  progress.done();
  console.error(`[bench] error: ${message}`);
  killAll();
  process.exit(1);
}

/** Remembers a child's process group, to be killed on exit unless it is gone with all its descendants. */
export function track(child) {
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

/** Forgets a group once the caller has seen it empty. */
export const untrack = (pgid) => groups.delete(pgid);

export function killAll() {
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => Number(process.hrtime.bigint()) / 1e6;
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** Runs a command to completion, output captured (last 64 KiB); rejects on a non-zero exit unless allowFail. */
export function run(
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

export const which = async (cmd) =>
  (await run('sh', ['-c', `command -v ${cmd}`], { allowFail: true })).code === 0;

export const nxEnv = () => ({
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
});
