/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Scaling on a real kind cluster with a worker (nx run e2e:scale): see src/scale/scale.scale.ts. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'e2e-scale',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/scale/**/*.scale.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@todo/test-utils$': '<rootDir>/../../libs/test-utils/src/index.ts' },
  reporters: junitReporters('e2e-scale'),
  testTimeout: 900_000,
};
