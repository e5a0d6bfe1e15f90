/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* The chart check suite (`nx run todo:test`): lint/template with Helm 3 and 4, kubeconform, policy, template logic, over the committed charts/todo. */
import junitReporters from '../../jest.junit';

export default {
  displayName: 'todo',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/chart/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // the template library's errors come from @todo/cluster (PlatformError)
  moduleNameMapper: {
    '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts',
    '^@todo/cluster$': '<rootDir>/../cluster/src/index.ts',
  },
  reporters: junitReporters('todo'),
  testTimeout: 600_000,
};
