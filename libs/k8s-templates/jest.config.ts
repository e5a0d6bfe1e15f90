/** @jest-config-loader ts-node */
// Node 26 loads .ts natively as ESM, where the extensionless `../../jest.junit` import fails; ts-node loads it as before.
/* Unit tests of the template library: render every template with fixtures, parse YAML, helm lint/template. */
import junitReporters from '../../jest.junit';


export default {
  displayName: 'k8s-templates',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }] },
  // the template library's errors and the cluster field's rule come from @todo/cluster
  moduleNameMapper: { '^@todo/cluster$': '<rootDir>/../../tools/cluster/src/index.ts' },
  reporters: junitReporters('k8s-templates'),
  testTimeout: 120_000,
};
