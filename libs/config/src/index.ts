export * from './lib/runtime-settings';
export * from './lib/runtime-config';
export * from './lib/environments';
