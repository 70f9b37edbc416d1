import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as kplus from 'cdk8s-plus-28';
import { httpMetrics, managementPaths } from '@shipyard/config';
import { helm } from './helm-values';
import type { DeployNames } from './names';

/** Helm release name of kube-prometheus-stack; its Prometheus selects objects by this label. */
export const monitoringStackRelease = 'kube-prometheus-stack';
/** Namespace of that release (contract.json); its Prometheus alone may reach the management port. */
export const monitoringNamespace = 'monitoring';

export const alertThresholds = {
  errorRatio: 0.05,
  p99LatencySeconds: 0.5,
  restartsIn15m: 2,
};

/** PromQL pieces scoped to one environment's pods. */
function queries(names: DeployNames) {
  const scope = `namespace="${names.namespace}"`;
  const requests = `${httpMetrics.requests}{${scope}}`;
  const errors = `${httpMetrics.requests}{${scope},status=~"5.."}`;
  const buckets = `${httpMetrics.duration}_bucket{${scope}}`;
  const deployment = `${scope},deployment="${names.deployment}"`;
  return {
    requestRate: `sum by (route) (rate(${requests}[5m]))`,
    errorRatio: `sum(rate(${errors}[5m])) / sum(rate(${requests}[5m]))`,
    latency: (quantile: number) =>
      `histogram_quantile(${quantile}, sum by (le) (rate(${buckets}[5m])))`,
    // These two come from kube-state-metrics, which kube-prometheus-stack runs.
    restarts: `increase(kube_pod_container_status_restarts_total{${scope},container="${names.deployment}"}[15m])`,
    available: `kube_deployment_status_replicas_available{${deployment}}`,
    wanted: `kube_deployment_spec_replicas{${deployment}}`,
    memory: `process_resident_memory_bytes{${scope}}`,
    eventLoopLag: `nodejs_eventloop_lag_p99_seconds{${scope}}`,
  };
}

export function alertRuleGroups(names: DeployNames) {
  const q = queries(names);
  const where = `${names.deployment} in ${names.namespace}`;
  return [
    {
      name: `${names.release}.rules`,
      rules: [
        {
          alert: 'ApiHighErrorRatio',
          expr: `${q.errorRatio} > ${alertThresholds.errorRatio}`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: `More than ${alertThresholds.errorRatio * 100} % of requests to ${where} fail with 5xx.`,
            description: 'Look at the pods logs (level error) for the failing request ids.',
          },
        },
        {
          alert: 'ApiHighLatencyP99',
          expr: `${q.latency(0.99)} > ${alertThresholds.p99LatencySeconds}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: `p99 latency of ${where} is above ${alertThresholds.p99LatencySeconds * 1000} ms.`,
            description: 'Check CPU throttling against the limits and the HPA, and event-loop lag.',
          },
        },
        {
          alert: 'ApiPodRestarting',
          expr: `${q.restarts} > ${alertThresholds.restartsIn15m}`,
          labels: { severity: 'warning' },
          annotations: {
            summary: `A pod of ${where} restarted more than ${alertThresholds.restartsIn15m} times in 15 minutes.`,
            description:
              'Liveness failures or OOM kills: see kubectl describe pod and the previous logs.',
          },
        },
        {
          alert: 'ApiReplicasUnavailable',
          expr: `${q.available} < ${q.wanted}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: `${where} has fewer ready replicas than wanted.`,
            description: 'Pods cannot be scheduled or fail readiness: see kubectl get events.',
          },
        },
      ],
    },
  ];
}

export function grafanaDashboard(names: DeployNames) {
  const q = queries(names);
  const panel = (id: number, title: string, unit: string, targets: Record<string, string>) => ({
    id,
    title,
    type: 'timeseries',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    fieldConfig: { defaults: { unit }, overrides: [] },
    gridPos: { h: 8, w: 12, x: ((id - 1) % 2) * 12, y: Math.floor((id - 1) / 2) * 8 },
    targets: Object.entries(targets).map(([legendFormat, expr], index) => ({
      refId: String.fromCharCode(65 + index),
      expr,
      legendFormat,
    })),
  });
  return {
    uid: `shipyard-${names.release}`,
    title: `shipyard API (${names.namespace})`,
    tags: ['shipyard'],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' }],
    },
    panels: [
      panel(1, 'Requests per second by route', 'reqps', { '{{route}}': q.requestRate }),
      panel(2, '5xx ratio', 'percentunit', { '5xx': q.errorRatio }),
      panel(3, 'Latency', 's', { p50: q.latency(0.5), p99: q.latency(0.99) }),
      panel(4, 'Ready replicas', 'short', { ready: q.available, wanted: q.wanted }),
      panel(5, 'Resident memory', 'bytes', { '{{pod}}': q.memory }),
      panel(6, 'Event-loop lag p99', 's', { '{{pod}}': q.eventLoopLag }),
    ],
  };
}

export interface MonitoringProps {
  readonly names: DeployNames;
  readonly selectorLabels: Record<string, string>;
  /** The pods' management port (probes and /metrics), exposed to Prometheus only. */
  readonly managementPort: number;
}

/** Scrape config, alerts and dashboard, picked up by kube-prometheus-stack. */
export class Monitoring extends Construct {
  constructor(
    scope: Chart,
    id: string,
    { names, selectorLabels, managementPort }: MonitoringProps,
  ) {
    super(scope, id);
    const stackLabel = { release: monitoringStackRelease };
    const managementLabels = { ...selectorLabels, 'app.kubernetes.io/component': 'management' };
    new kplus.k8s.KubeService(this, 'ManagementService', {
      metadata: { name: names.managementService, labels: managementLabels },
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels,
        ports: [
          {
            name: 'management',
            port: managementPort,
            targetPort: kplus.k8s.IntOrString.fromNumber(managementPort),
          },
        ],
      },
    });
    new ApiObject(this, 'ServiceMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: names.service, labels: stackLabel },
      spec: {
        selector: { matchLabels: managementLabels },
        endpoints: [{ port: 'management', path: managementPaths.metrics, interval: '15s' }],
      },
    });
    new ApiObject(this, 'PrometheusRule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: names.deployment, labels: stackLabel },
      spec: { groups: alertRuleGroups(names) },
    });
    new ApiObject(this, 'Dashboard', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      // The Grafana sidecar of kube-prometheus-stack loads every ConfigMap with this label.
      metadata: { name: `${names.deployment}-dashboard`, labels: { grafana_dashboard: '1' } },
      data: {
        [`${names.release}.json`]: helm.literal(JSON.stringify(grafanaDashboard(names), null, 2)),
      },
    });
  }
}
