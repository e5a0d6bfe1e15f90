/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* The deploy chain on a real kind cluster (nx run e2e:cluster): see src/cluster/deploy.cluster.ts. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'e2e-cluster',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/cluster/**/*.cluster.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@todo/test-utils$': '<rootDir>/../../libs/test-utils/src/index.ts' },
  reporters: junitReporters('e2e-cluster'),
  testTimeout: 900_000,
};
