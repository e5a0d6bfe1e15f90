/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* The workspace's CI contract: workflow files and `nx affected` behaviour, tested in throwaway git copies. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'workspace-tests',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: {
    '^@todo/generators$': '<rootDir>/../generators/src/index.ts',
    '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts',
    '^@todo/cluster$': '<rootDir>/../cluster/src/index.ts',
  },
  reporters: junitReporters('workspace-tests'),
  testTimeout: 600_000,
};
