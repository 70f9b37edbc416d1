#!/usr/bin/env node
// Measures a built API bundle: size on disk and spawn-to-ready time (spawn until the first 200 on /readyz).
// Usage: node tools/image/measure.mjs [path/to/main.js] [runs]   (default dist/apps/api/main.js, 7 runs)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

const bundle = resolve(process.argv[2] ?? 'dist/apps/api/main.js');
const runs = Number(process.argv[3] ?? 7);
const probePath = process.env.READY_PATH ?? '/readyz';

function du(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

const freePort = () =>
  new Promise((ok) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });

const status = (url) =>
  new Promise((ok) => {
    get(url, (res) => {
      res.resume();
      ok(res.statusCode);
    }).on('error', () => ok(0));
  });

async function once() {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [bundle], {
    cwd: dirname(bundle),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before ready`);
      if ((await status(`http://127.0.0.1:${port}${probePath}`)) === 200) {
        return Number(process.hrtime.bigint() - started) / 1e6;
      }
      if (Number(process.hrtime.bigint() - started) > 10e9) throw new Error('not ready within 10 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await once());
times.sort((a, b) => a - b);
const size = du(dirname(bundle));
const result = {
  bundle,
  artifactBytes: size,
  mainJsBytes: statSync(bundle).size,
  readyMs: { min: +times[0].toFixed(0), median: +times[Math.floor(times.length / 2)].toFixed(0), max: +times.at(-1).toFixed(0), runs },
};
console.log(JSON.stringify(result));
