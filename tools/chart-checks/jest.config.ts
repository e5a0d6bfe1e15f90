/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Unit tests of the chart checks themselves: every policy rule fires on a bad manifest; the schema conversion. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'chart-checks',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/__tests__/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // the template library's errors come from @todo/cluster (PlatformError)
  moduleNameMapper: {
    '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts',
    '^@todo/cluster$': '<rootDir>/../cluster/src/index.ts',
  },
  reporters: junitReporters('chart-checks'),
  testTimeout: 600_000,
};
