/**
 * Names of the metrics the API exports: the API registers them, the alert rules and the dashboard
 * query them. Written once so neither can drift from the other.
 */
export const httpMetrics = {
  requests: 'http_requests_total',
  duration: 'http_request_duration_seconds',
} as const;

/** Label values of a request that matched no route, so unknown paths cannot explode cardinality. */
export const unmatchedRoute = '(unmatched)';

/** Latency buckets (seconds), dense below 100 ms where this service lives. */
export const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
