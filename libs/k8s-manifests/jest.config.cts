module.exports = {
  displayName: 'k8s-manifests',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  globalSetup: '<rootDir>/src/testing/tmpdir-setup.ts',
  globalTeardown: '<rootDir>/src/testing/tmpdir-teardown.ts',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/k8s-manifests',
};
