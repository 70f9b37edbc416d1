import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /** Recorded for every request by RequestObserver. */
  readonly requests = new RequestMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
