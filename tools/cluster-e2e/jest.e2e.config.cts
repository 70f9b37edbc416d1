// Named jest.e2e.config.cts, not jest.config.cts: @nx/jest/plugin would infer a `test` target from the
// latter, and `nx run-many -t test` (npm test) would run this suite without a cluster. Run it with
// `npx nx run cluster-e2e:e2e`, which starts the cluster around it (tools/cluster-e2e/run.sh).
module.exports = {
  displayName: 'cluster-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  // The real-node suite has its own config (jest.nodes.config.cts) and cluster.
  testMatch: ['<rootDir>/src/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/nodes.e2e.ts'],
  // Each step sets its own timeout; this is the bound for the rest.
  testTimeout: 60_000,
  verbose: true,
};
