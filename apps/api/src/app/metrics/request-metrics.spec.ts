import { durationBuckets, httpMetrics } from '@shipyard/config';
import { Counter, Histogram, Registry } from 'prom-client';
import { durationHelp, RequestMetrics, requestsHelp } from './request-metrics';

const labelNames = ['method', 'route', 'status'] as const;

/** The same observations through prom-client's own Counter and Histogram. */
function reference(observations: [string, string, number, number][]) {
  const registry = new Registry();
  const requests = new Counter({
    name: httpMetrics.requests,
    help: requestsHelp,
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: httpMetrics.duration,
    help: durationHelp,
    labelNames,
    buckets: durationBuckets,
    registers: [registry],
  });
  for (const [method, route, status, seconds] of observations) {
    const labels = { method, route, status: String(status) };
    requests.inc(labels);
    duration.observe(labels, seconds);
  }
  return registry;
}

function ours(observations: [string, string, number, number][]) {
  const registry = new Registry();
  const metrics = new RequestMetrics(registry);
  for (const observation of observations) metrics.record(...observation);
  return registry;
}

describe('RequestMetrics', () => {
  // Every bucket edge, values between them, above the last bound, and several series.
  const observations: [string, string, number, number][] = [
    ...durationBuckets.flatMap((bound): [string, string, number, number][] => [
      ['GET', '/', 200, bound],
      ['GET', '/', 200, bound * 0.9],
    ]),
    ['GET', '/', 200, 7.5],
    ['GET', '/config', 200, 0.0004],
    ['POST', '(unmatched)', 404, 0.003],
    ['GET', '/readyz', 503, 0.02],
  ];

  it('exposes exactly what prom-client’s Counter and Histogram would', async () => {
    expect(await ours(observations).metrics()).toBe(await reference(observations).metrics());
  });

  it('exposes nothing for a route before its first request', async () => {
    expect(await ours([]).metrics()).toBe(await reference([]).metrics());
  });

  it('starts over on registry reset', async () => {
    const registry = ours(observations);
    registry.resetMetrics();
    expect(await registry.metrics()).toBe(await reference([]).metrics());
  });
});
