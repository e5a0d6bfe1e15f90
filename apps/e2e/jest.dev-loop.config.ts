/* The inner loop on a real kind cluster (nx run e2e:dev-loop): see src/dev-loop/inner-loop.dev-loop.ts. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'e2e-dev-loop',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/dev-loop/**/*.dev-loop.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  reporters: junitReporters('e2e-dev-loop'),
  testTimeout: 900_000,
};
