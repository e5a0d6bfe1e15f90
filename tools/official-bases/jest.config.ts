/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* The official-image path: wheels and native npm packages for the default bases, versions in step. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'official-bases',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // the template library's errors come from @todo/cluster (PlatformError)
  moduleNameMapper: {
    '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts',
    '^@todo/cluster$': '<rootDir>/../cluster/src/index.ts',
  },
  reporters: junitReporters('official-bases'),
  testTimeout: 300_000,
};
