/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/*
 * The inner loop on a real kind cluster (nx run e2e:dev-loop): src/dev-loop/inner-loop.dev-loop.ts, then its
 * dashboard (src/dev-loop/dashboard.dev-loop.ts) on the same cluster, deleted once at the end.
 */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'e2e-dev-loop',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/dev-loop/**/*.dev-loop.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@todo/test-utils$': '<rootDir>/../../libs/test-utils/src/index.ts' },
  reporters: junitReporters('e2e-dev-loop'),
  testTimeout: 900_000,
  testSequencer: '<rootDir>/dev-loop.sequencer.js',
  globalTeardown: '<rootDir>/dev-loop.teardown.js',
};
