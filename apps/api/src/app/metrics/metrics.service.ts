import { Injectable } from '@nestjs/common';
import { durationBuckets, httpMetrics, unmatchedRoute } from '@shipyard/config';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

type Recorder = { count: () => void; observe: (seconds: number) => void };

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: httpMetrics.requests,
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: httpMetrics.duration,
    help: 'Time from request received to response sent, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  /** Label children by "method route status": prom-client's label lookup is the costly part. */
  private readonly recorders = new Map<string, Recorder>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** `route` is the route template (bounded); never the raw URL. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let recorder = this.recorders.get(key);
    if (!recorder) {
      const labels = { method, route: route ?? unmatchedRoute, status: String(status) };
      const counter = this.requests.labels(labels);
      const histogram = this.duration.labels(labels);
      recorder = { count: () => counter.inc(), observe: (s) => histogram.observe(s) };
      this.recorders.set(key, recorder);
    }
    recorder.count();
    recorder.observe(seconds);
  }
}
