import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent, createServer, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { bundleNode, stageBundle } from './bundle-node';
import { freePort } from './free-port';

/** The production bundle, exactly what the image runs (built by `nx build api` before the tests), with the
 * code cache the image writes, run on the image's Node.js major (bundleNode). */
let staged: string;
let bundle: string;

interface Exited {
  code: number | null;
  output: string;
}

function launch(env: Record<string, string>) {
  const child = spawn(bundleNode, [bundle], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<Exited>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, exited, output: () => output };
}

function status(url: string, agent?: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error('the API exited before becoming ready');
    if ((await status(`${url}/readyz`).catch(() => 0)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the API did not become ready within 5 s');
}

beforeAll(() => {
  staged = stageBundle();
  bundle = join(staged, 'main.js');
});

afterAll(() => rmSync(staged, { recursive: true, force: true }));

describe('invalid configuration', () => {
  it('in prod without secrets: exits 1 naming both variables, before listening', async () => {
    const { code, output } = await launch({ APP_ENV: 'prod' }).exited;
    expect(code).toBe(1);
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.variable)).toEqual(['SECRET_KEY', 'DB_PASSWORD']);
    expect(lines[0].msg).toBe('invalid configuration: SECRET_KEY is required when APP_ENV=prod');
  });

  it('with MAX_CONNECTIONS=abc: exits 1 naming it', async () => {
    const { code, output } = await launch({ MAX_CONNECTIONS: 'abc' }).exited;
    expect(code).toBe(1);
    expect(output).toContain('invalid configuration: MAX_CONNECTIONS must be a whole number');
    expect(output).toContain('"variable":"MAX_CONNECTIONS"');
  });

  it('never prints a rejected secret', async () => {
    const { code, output } = await launch({
      APP_ENV: 'prod',
      SECRET_KEY: 'too-short',
      DB_PASSWORD: 'pw',
    }).exited;
    expect(code).toBe(1);
    expect(output).toContain('SECRET_KEY must be at least 16 characters');
    expect(output).not.toContain('too-short');
    expect(output).not.toMatch(/"pw"/);
  });
});

describe('start-up failure', () => {
  it('is logged by pino as JSON with the reason, scrubbed of secrets, and exits 1', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    // A secret the failure's own message holds (the address it could not bind), so scrubbing shows.
    const secret = `127.0.0.1:${port}`;
    try {
      const { code, output } = await launch({ PORT: String(port), DB_PASSWORD: secret }).exited;
      expect(code).toBe(1);
      const lines = output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const fatal = lines.filter((line) => line.level === 'fatal');
      expect(fatal).toHaveLength(1);
      expect(fatal[0].msg).toContain('EADDRINUSE');
      expect(fatal[0].err.stack).toContain('[redacted]');
      expect(output).not.toContain(secret);
    } finally {
      busy.close();
    }
  });
});

describe('SIGTERM under load', () => {
  it('drops no request, fails readiness at once and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const drainSeconds = 2;
    const api = launch({ PORT: String(port), SHUTDOWN_DRAIN_SECONDS: String(drainSeconds) });
    await waitUntilReady(url, api.child);

    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const counts = { ok: 0, failed: 0 };
    let sending = true;
    const client = async () => {
      while (sending) {
        const code = await status(`${url}/`, agent).catch(() => 0);
        if (code === 200) counts.ok++;
        else counts.failed++;
      }
    };
    const clients = Array.from({ length: 16 }, client);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const inFlightAtSignal = counts.ok;
    api.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const readinessWhileDraining = await status(`${url}/readyz`);
    // Keep sending for most of the drain, as clients do until their endpoints update.
    await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000 - 600));
    sending = false;
    await Promise.all(clients);
    agent.destroy();
    const { code } = await api.exited;

    console.info(
      `SIGTERM under load: ${counts.ok} requests answered (${counts.ok - inFlightAtSignal} after the signal), ${counts.failed} failed`,
    );
    expect(readinessWhileDraining).toBe(503);
    expect(counts.failed).toBe(0);
    expect(counts.ok - inFlightAtSignal).toBeGreaterThan(100);
    expect(code).toBe(0);
  });
});
