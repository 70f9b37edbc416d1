import { Injectable } from '@nestjs/common';
import { durationBuckets, httpMetrics, unmatchedRoute } from '@shipyard/config';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const labelNames = ['method', 'route', 'status'] as const;
type LabelName = (typeof labelNames)[number];

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: httpMetrics.requests,
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: httpMetrics.duration,
    help: 'Time from request received to response sent, by method, route template and status code.',
    labelNames,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  /** Label children by "method route status": prom-client's label lookup is the costly part. */
  private readonly children = new Map<
    string,
    { requests: Counter.Internal; duration: Histogram.Internal<LabelName> }
  >();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** `route` is the route template (bounded); never the raw URL. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { method, route: route ?? unmatchedRoute, status: String(status) };
      child = { requests: this.requests.labels(labels), duration: this.duration.labels(labels) };
      this.children.set(key, child);
    }
    child.requests.inc();
    child.duration.observe(seconds);
  }
}
