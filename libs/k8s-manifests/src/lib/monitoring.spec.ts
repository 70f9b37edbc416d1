import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { appEnvNames, environments, httpMetrics } from '@shipyard/config';
import { type K8sObject } from '../testing/objects';
import { workspaceRoot } from '../testing/synth-cli';
import { toolchainBinary } from '../testing/toolchain';
import { ApiChart } from './api-chart';
import { alertRuleGroups, grafanaDashboard, monitoringStackRelease } from './monitoring';
import { deployNames } from './names';

/** Series that kube-prometheus-stack's kube-state-metrics exports, not the API. */
const kubeStateMetrics = /^kube_/;

/** Every metric a PromQL expression reads; our expressions always give a selector `name{...}`. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((match) => match[1]);
}

/** The series names the production API bundle exports, read from its real /metrics. */
async function exportedSeries(): Promise<Set<string>> {
  const bundle = join(workspaceRoot, 'dist/apps/api/main.js');
  if (!existsSync(bundle))
    throw new Error('dist/apps/api/main.js is missing: run `npx nx build api`');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // On the image's Node.js major, from the toolchain cache (tools/toolchain/ensure.sh node22).
  const api: ChildProcess = spawn(toolchainBinary('node22', 'node'), [bundle], {
    env: { PATH: process.env['PATH'], PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const response = await fetch(`http://127.0.0.1:${port}/config`).catch(() => undefined);
      if (response?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return new Set(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/)[0]),
    );
  } finally {
    api.kill();
  }
}

const monitored = appEnvNames.filter((env) => environments[env].monitoring);

describe.each(monitored)('monitoring of %s', (env) => {
  const names = deployNames(env);
  const rules = alertRuleGroups(names);
  const dashboard = grafanaDashboard(names);
  const expressions = [
    ...rules.flatMap((group) => group.rules.map((rule) => rule.expr)),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ];
  const objects = Testing.synth(
    new ApiChart(Testing.app(), 'api', { env, appVersion: '1.0.0' }),
  ) as K8sObject[];
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'monitoring-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('alerts on 5xx ratio, p99 latency, restarts and missing replicas', () => {
    const alerts = rules.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(alerts).toEqual([
      'ApiHighErrorRatio',
      'ApiHighLatencyP99',
      'ApiPodRestarting',
      'ApiReplicasUnavailable',
    ]);
  });

  it('writes rules that promtool accepts', () => {
    const file = join(workDir, 'rules.yaml');
    const rule = objects.find((object) => object.kind === 'PrometheusRule');
    writeFileSync(file, stringify(rule?.spec));
    const output = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(output).toContain('SUCCESS: 4 rules found');
  });

  it('only queries metrics the API really exports (or kube-state-metrics)', async () => {
    const exported = await exportedSeries();
    const used = [...new Set(expressions.flatMap(metricsIn))];
    expect(used).toEqual(
      expect.arrayContaining([`${httpMetrics.requests}`, `${httpMetrics.duration}_bucket`]),
    );
    const missing = used.filter((name) => !kubeStateMetrics.test(name) && !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('scopes every query to the environment namespace', () => {
    for (const expr of expressions) {
      for (const selector of expr.match(/\{[^}]*\}/g) ?? []) {
        expect(selector).toContain(`namespace="${names.namespace}"`);
      }
    }
  });

  it('scrapes /metrics on the management port, through a Service of its own, never a NodePort', () => {
    const monitor = objects.find((object) => object.kind === 'ServiceMonitor');
    expect(monitor?.metadata.labels).toMatchObject({ release: monitoringStackRelease });
    const [endpoint] = monitor?.spec.endpoints ?? [];
    expect(endpoint).toMatchObject({ path: '/metrics' });
    const selected = objects.filter(
      (object) =>
        object.kind === 'Service' &&
        Object.entries(monitor?.spec.selector.matchLabels ?? {}).every(
          ([key, value]) => object.metadata.labels?.[key] === value,
        ),
    );
    expect(selected.map((service) => service.metadata.name)).toEqual([names.managementService]);
    const [service] = selected;
    expect(service.spec.type).toBe('ClusterIP');
    const port = service.spec.ports.find((p: { name: string }) => p.name === endpoint.port);
    const managementPort = Number(environments[env].runtime.MANAGEMENT_PORT);
    expect(port).toMatchObject({ port: managementPort, targetPort: managementPort });
  });

  it('ships the dashboard where the Grafana sidecar looks for it', () => {
    const configMap = objects.find(
      (object) => object.metadata.labels?.['grafana_dashboard'] === '1',
    );
    const [json] = Object.values(configMap?.data ?? {}) as string[];
    expect(json).toContain('{{`{{`}}route}}');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6);
  });
});

describe('environments without monitoring', () => {
  it.each(appEnvNames.filter((env) => !environments[env].monitoring))(
    '%s ships no monitoring objects',
    (env) => {
      const kinds = Testing.synth(
        new ApiChart(Testing.app(), 'api', { env, appVersion: '1.0.0' }),
      ).map((object) => object.kind);
      expect(kinds).not.toContain('ServiceMonitor');
      expect(kinds).not.toContain('PrometheusRule');
    },
  );
});
