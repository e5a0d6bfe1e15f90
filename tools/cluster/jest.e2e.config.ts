/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Real-cluster test (minutes): kind with the offline node image via KIND_NODE_IMAGE. Not part of `test`. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'cluster-e2e',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/e2e/**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  reporters: junitReporters('cluster-e2e'),
  testTimeout: 900_000,
  maxWorkers: 1,
};
