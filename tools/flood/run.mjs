#!/usr/bin/env node
// Floods the production bundle on loopback with stalled clients and prints what it withstood:
// connections held, seconds until the server dropped each, probe answers during the flood, and
// how soon it answered again. Needs `npx nx build api --configuration=production` first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const usage = `usage: npm run flood -- [--connections N] [--attacks a,b] [--hold-seconds S] [--env NAME=VALUE]...
  --connections   stalled clients per attack, 1..5000 (default 1100: more than MAX_CONNECTIONS' default)
  --attacks       any of slow-body, silent, slowloris (default: all three, one after the other)
  --hold-seconds  stop each attack after this long even if connections remain, 1..300 (default 90)
  --env           a setting for the API process, e.g. --env MAX_CONNECTIONS=2048 (repeatable)`;

const attacks = {
  // Headers announcing a body that never comes: the request timeout must end it.
  'slow-body': (socket) =>
    socket.write(
      'POST / HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n',
    ),
  // Connects and sends nothing: the headers timeout must end it.
  silent: () => undefined,
  // Headers one byte a second, never finished: the headers timeout counts from the first byte.
  slowloris: (socket) => {
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n');
    const timer = setInterval(() => socket.write('x'), 1000);
    socket.once('close', () => clearInterval(timer));
  },
};

function options() {
  const { values } = parseArgs({
    strict: true,
    options: {
      connections: { type: 'string', default: '1100' },
      attacks: { type: 'string', default: Object.keys(attacks).join(',') },
      'hold-seconds': { type: 'string', default: '90' },
      env: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const whole = (name, max) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > max)
      fail(`--${name} must be a whole number from 1 to ${max}`);
    return n;
  };
  const chosen = values.attacks.split(',');
  for (const a of chosen)
    if (!(a in attacks)) fail(`unknown attack "${a}": use ${Object.keys(attacks).join(', ')}`);
  const env = {};
  for (const pair of values.env) {
    const at = pair.indexOf('=');
    if (at < 1) fail(`--env ${pair}: expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    connections: whole('connections', 5000),
    holdSeconds: whole('hold-seconds', 300),
    attacks: chosen,
    env,
  };
}

function fail(message) {
  console.error(`flood: ${message}\n${usage}`);
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** GET with a 1 s deadline, as the kubelet probes by default; resolves the status or 0. */
function status(port, path) {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** The API's effective settings, on a connection of its own that is closed at once. */
function settingsOf(port) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/config', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function startApi(env) {
  const bundle = join(dirname(fileURLToPath(import.meta.url)), '../../dist/apps/api/main.js');
  if (!existsSync(bundle))
    fail(`${bundle} is missing: run \`npx nx build api --configuration=production\` first`);
  const [port, managementPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [bundle], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      MANAGEMENT_PORT: String(managementPort),
      APP_ENV: 'prod',
      LOG_LEVEL: 'warn',
      SECRET_KEY: randomBytes(24).toString('hex'),
      DB_PASSWORD: randomBytes(12).toString('hex'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    if ((await status(port, '/readyz')) === 200) return { child, port, managementPort };
    await sleep(50);
  }
  child.kill();
  fail('the API did not become ready within 10 s');
}

/** Opens the stalled clients; each resolves with seconds from connect until the server dropped it. */
function openStalled(port, count, attack) {
  const sockets = [];
  const dropped = [];
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    dropped.push(
      new Promise((resolve) => {
        let since;
        socket.once('connect', () => {
          since = performance.now();
          attacks[attack](socket);
        });
        socket.on('error', () => undefined);
        // Read what the server sends (a 408, its FIN), or the close is never noticed.
        socket.resume();
        socket.once('close', () =>
          resolve(since === undefined ? null : (performance.now() - since) / 1000),
        );
      }),
    );
  }
  return { sockets, dropped };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
const fmt = (s) => (s === undefined ? '-' : s.toFixed(1));

async function flood(api, attack, { connections, holdSeconds }, refusedBelow) {
  const started = performance.now();
  const { sockets, dropped } = openStalled(api.port, connections, attack);
  const settled = Promise.all(dropped);
  let done = false;
  settled.then(() => (done = true));
  const probes = { app: [0, 0], management: [0, 0] };
  while (!done && performance.now() - started < holdSeconds * 1000) {
    const [app, management] = await Promise.all([
      status(api.port, '/healthz'),
      status(api.managementPort, '/healthz'),
      sleep(1000),
    ]);
    probes.app[0] += app === 200 ? 1 : 0;
    probes.app[1] += 1;
    probes.management[0] += management === 200 ? 1 : 0;
    probes.management[1] += 1;
  }
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  for (const socket of sockets) socket.destroy();
  const times = (await settled).filter((t) => t !== null);
  // No limit is shorter than the headers timeout: what closed well before it was refused by the cap.
  const held = times.filter((t) => t >= refusedBelow).sort((a, b) => a - b);
  const afterFlood = performance.now();
  while ((await status(api.port, '/')) !== 200 && performance.now() - afterFlood < 10_000)
    await sleep(10);
  return {
    attack,
    connections,
    held: held.length,
    refused: times.length - held.length,
    stillOpen,
    min: held[0],
    median: percentile(held, 0.5),
    max: held.at(-1),
    probes,
    answersAgainMs: performance.now() - afterFlood,
  };
}

async function main() {
  const opts = options();
  const api = await startApi(opts.env);
  const stop = () => api.child.kill('SIGKILL');
  process.once('SIGINT', () => (stop(), process.exit(130)));
  try {
    const config = await settingsOf(api.port);
    const limits = [
      'MAX_CONNECTIONS',
      'HEADERS_TIMEOUT_SECONDS',
      'REQUEST_TIMEOUT_SECONDS',
      'KEEP_ALIVE_TIMEOUT_SECONDS',
    ];
    console.log(
      `API on 127.0.0.1:${api.port} (management ${api.managementPort}): ${limits.map((n) => `${n}=${config[n]}`).join(' ')}`,
    );
    console.log(
      `${opts.connections} stalled clients per attack, held at most ${opts.holdSeconds} s; probes GET /healthz once a second, 1 s deadline\n`,
    );
    console.log(
      'attack     | held | refused | still open | dropped after s (min/median/max) | /healthz app port | /healthz mgmt port | answers again',
    );
    for (const attack of opts.attacks) {
      const r = await flood(api, attack, opts, config.HEADERS_TIMEOUT_SECONDS / 2);
      console.log(
        [
          r.attack.padEnd(10),
          String(r.held).padStart(4),
          String(r.refused).padStart(7),
          String(r.stillOpen).padStart(10),
          `${fmt(r.min)} / ${fmt(r.median)} / ${fmt(r.max)}`.padEnd(32),
          `${r.probes.app[0]}/${r.probes.app[1]}`.padEnd(17),
          `${r.probes.management[0]}/${r.probes.management[1]}`.padEnd(18),
          `${r.answersAgainMs.toFixed(0)} ms`,
        ].join(' | '),
      );
    }
  } finally {
    stop();
  }
}

await main();
