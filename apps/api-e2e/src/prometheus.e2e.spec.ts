import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEnvNames, environments, httpMetrics, managementPaths } from '@shipyard/config';
import { alertRuleGroups, deployNames, grafanaDashboard } from '@shipyard/k8s-manifests';
import { freePort, type Started, stop } from '@shipyard/testing';
import { launch, releaseBundle, requireBundle, waitUntilReady } from './api-process';

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

/** The production bundle with a management port, as in the cluster; Prometheus scrapes that port. */
let api: Started;
let appUrl: string;
let managementUrl: string;

beforeAll(async () => {
  requireBundle();
  const [port, managementPort] = [await freePort(), await freePort()];
  appUrl = `http://127.0.0.1:${port}`;
  managementUrl = `http://127.0.0.1:${managementPort}`;
  api = launch({ PORT: String(port), MANAGEMENT_PORT: String(managementPort), LOG_LEVEL: 'warn' });
  await waitUntilReady(appUrl, api.child);
}, 30_000);

afterAll(async () => {
  await stop(api);
  releaseBundle();
});

describe('a real Prometheus scraping /metrics', () => {
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
    workDir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const target = new URL(managementUrl).host;
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
    for (let i = 0; i < 25; i++) await fetch(`${appUrl}/config${i % 2 ? '/' : ''}?probe=${i}`);
    await fetch(`${appUrl}/no/such/path/${Date.now()}`);
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
    // Traffic within the rate window: the scrapes themselves go to the management port.
    const p99 = await waitFor('a p99', async () => {
      await Promise.all(Array.from({ length: 10 }, () => fetch(`${appUrl}/`)));
      // NaN until Prometheus has two scrapes of the new traffic.
      const value = await query(
        `histogram_quantile(0.99, sum by (le) (rate(${httpMetrics.duration}_bucket{job="api"}[30s])))`,
      );
      return value !== undefined && Number.isFinite(value) ? value : undefined;
    });
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(1);
  }, 60_000);
});

/** Series that kube-prometheus-stack's kube-state-metrics exports, not the API. */
const kubeStateMetrics = /^kube_/;

/** Every metric a PromQL expression reads; our expressions always give a selector `name{...}`. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((match) => match[1]);
}

describe.each(appEnvNames.filter((env) => environments[env].monitoring))(
  "the chart's alerts and dashboard of %s",
  (env) => {
    it('only query metrics the bundle really exports (or kube-state-metrics)', async () => {
      const text = await (await fetch(`${managementUrl}${managementPaths.metrics}`)).text();
      const exported = new Set(
        text
          .split('\n')
          .filter((line) => line && !line.startsWith('#'))
          .map((line) => line.split(/[{ ]/)[0]),
      );
      const names = deployNames(env);
      const expressions = [
        ...alertRuleGroups(names).flatMap((group) => group.rules.map((rule) => rule.expr)),
        ...grafanaDashboard(names).panels.flatMap((panel) => panel.targets.map((t) => t.expr)),
      ];
      const used = [...new Set(expressions.flatMap(metricsIn))];
      expect(used).toEqual(
        expect.arrayContaining([`${httpMetrics.requests}`, `${httpMetrics.duration}_bucket`]),
      );
      expect(used.filter((name) => !kubeStateMetrics.test(name) && !exported.has(name))).toEqual(
        [],
      );
    });
  },
);
