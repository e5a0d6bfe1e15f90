/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* End-to-end tests: real backend + real frontend on loopback, driven by Debian's Chromium. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'e2e',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.e2e.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@todo/test-utils$': '<rootDir>/../../libs/test-utils/src/index.ts', '^@todo/dashboard$': '<rootDir>/../../tools/dashboard/src/index.ts' },
  reporters: junitReporters('e2e'),
  testTimeout: 120_000,
};
