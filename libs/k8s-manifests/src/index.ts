export * from './lib/api-chart';
export * from './lib/helm-values';
export * from './lib/names';
export * from './lib/monitoring';
export * from './lib/secret-restarter';
