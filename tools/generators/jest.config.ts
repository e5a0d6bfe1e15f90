/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Tests of the local Nx plugin: generators on createTreeWithEmptyWorkspace, executors with a recording helm, e2e in a workspace copy (the drift check of the checked-in output is todo:drift). */
import junitReporters from '../../jest.junit';


export default {
  displayName: 'generators',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: {
    '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts',
    '^@todo/cluster$': '<rootDir>/../cluster/src/index.ts',
    '^@todo/dashboard$': '<rootDir>/../dashboard/src/index.ts',
  },
  reporters: junitReporters('generators'),
  testTimeout: 300_000,
};
