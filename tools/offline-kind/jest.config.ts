/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Acceptance test of the offline kind cluster: one serial suite, minutes long (it may build the node image). */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'offline-kind',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }] },
  moduleNameMapper: { '^@todo/test-utils$': '<rootDir>/../../libs/test-utils/src/index.ts' },
  reporters: junitReporters('offline-kind'),
  testTimeout: 300_000,
  maxWorkers: 1,
};
