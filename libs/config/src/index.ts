export * from './lib/runtime-settings';
export * from './lib/runtime-config';
export * from './lib/environments';
export * from './lib/metrics';
