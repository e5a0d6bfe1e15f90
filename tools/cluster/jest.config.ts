/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Unit tests of the cluster tool: config generation, command builders, the tool installer against a loopback mirror. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'cluster',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  reporters: junitReporters('cluster'),
  testTimeout: 60_000,
};
