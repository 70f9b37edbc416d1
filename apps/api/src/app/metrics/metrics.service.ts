import { Injectable } from '@nestjs/common';
import { durationBuckets, httpMetrics, unmatchedRoute } from '@shipyard/config';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requests = new RequestMetrics(this.registry, {
    requestsName: httpMetrics.requests,
    durationName: httpMetrics.duration,
    buckets: durationBuckets,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** `route` is the route template (bounded); never the raw URL. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    this.requests.record(method, route ?? unmatchedRoute, status, seconds);
  }
}
