// The real-node suite (src/nodes.e2e.ts and src/nodes/*.e2e.ts). Run it with `npx nx run cluster-e2e:e2e-nodes`,
// which builds the image and starts the nodes around it (tools/cluster-e2e/run.sh --real-nodes).
module.exports = {
  displayName: 'cluster-e2e-nodes',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js'],
  testMatch: ['<rootDir>/src/nodes.e2e.ts', '<rootDir>/src/nodes/**/*.e2e.ts'],
  // Each step sets its own timeout; this is the bound for the rest.
  testTimeout: 60_000,
  verbose: true,
};
