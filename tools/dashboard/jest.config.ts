/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Unit tests of the dashboard: the state the page is fed from, and the server's token and origin checks on loopback. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'dashboard',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  reporters: junitReporters('dashboard'),
  testTimeout: 30_000,
};
