import { Agent, createServer } from 'node:http';
import { launch, releaseBundle, requireBundle, status, waitUntilReady } from './api-process';
import { freePort } from './free-port';

beforeAll(requireBundle);
afterAll(releaseBundle);

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
