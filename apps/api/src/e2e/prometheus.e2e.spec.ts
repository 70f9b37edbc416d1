import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpMetrics } from '@shipyard/config';
import { startTestServer, type TestServer } from './test-server';
import { freePort } from './free-port';

/** Debian's Prometheus (installed by tools/toolchain/ensure.sh apt). */
const prometheusBinary = process.env['PROMETHEUS_BINARY'] ?? '/usr/bin/prometheus';

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch((error: unknown) => {
      // A probe that cannot succeed any more (the process died) ends the wait with its reason.
      if (error instanceof Error && error.message.startsWith('Prometheus exited')) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a real Prometheus scraping /metrics', () => {
  let server: TestServer;
  let prometheus: ChildProcess;
  let workDir: string;
  let prometheusUrl: string;

  /** One value of an instant query, or undefined while it has no result. */
  async function query(promql: string): Promise<number | undefined> {
    const response = await fetch(
      `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const [first] = body.data.result;
    return first ? Number(first.value[1]) : undefined;
  }

  beforeAll(async () => {
    server = await startTestServer();
    workDir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const target = new URL(server.url).host;
    writeFileSync(
      join(workDir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: api\n    static_configs: [{ targets: ['${target}'] }]\n`,
    );
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      prometheusBinary,
      [
        `--config.file=${join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    prometheus.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    await waitFor('Prometheus to be ready', async () => {
      if (prometheus.exitCode !== null) {
        throw new Error(`Prometheus exited with ${prometheus.exitCode}:\n${stderr}`);
      }
      return (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    prometheus?.kill();
    await server?.app.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('sees the target up', async () => {
    expect(
      await waitFor('up == 1', async () => ((await query('up{job="api"}')) === 1 ? 1 : undefined)),
    ).toBe(1);
  }, 60_000);

  it('counts requests by route template, never by raw URL', async () => {
    const route = `${httpMetrics.requests}{job="api",route="/config",status="200"}`;
    const before = (await query(route)) ?? 0;
    for (let i = 0; i < 25; i++) await fetch(`${server.url}/config${i % 2 ? '/' : ''}?probe=${i}`);
    await fetch(`${server.url}/no/such/path/${Date.now()}`);
    const after = await waitFor('the counter to include the traffic', async () => {
      const value = await query(route);
      return value !== undefined && value >= before + 25 ? value : undefined;
    });
    expect(after - before).toBeGreaterThanOrEqual(25);
    const routes = (await fetch(`${prometheusUrl}/api/v1/label/route/values`).then((r) =>
      r.json(),
    )) as { data: string[] };
    expect(routes.data).toContain('(unmatched)');
    expect(
      routes.data.some((value: string) => value.includes('probe') || value.includes('no/such')),
    ).toBe(false);
  }, 60_000);

  it('records latency in a histogram Prometheus can take quantiles of', async () => {
    const p99 = await waitFor('a p99', () =>
      query(
        `histogram_quantile(0.99, sum by (le) (rate(${httpMetrics.duration}_bucket{job="api"}[30s])))`,
      ),
    );
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(1);
  }, 60_000);
});
