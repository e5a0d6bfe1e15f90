/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Tests of the offline base images that need a real container (the PostgreSQL stand-in). */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'base-images',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  reporters: junitReporters('base-images'),
  testTimeout: 90_000,
};
