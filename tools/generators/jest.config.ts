/* Tests of the local Nx plugin: generators on createTreeWithEmptyWorkspace, executors with a recording helm, e2e in a workspace copy, drift. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const junit = existsSync(join(__dirname, '../../node_modules/jest-junit'))
  ? [['jest-junit', { outputDirectory: join(__dirname, '../../reports/junit'), outputName: 'generators.xml' }]]
  : [];

export default {
  displayName: 'generators',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: { '^@todo/k8s-templates$': '<rootDir>/../../libs/k8s-templates/src/index.ts' },
  reporters: ['default', ...junit],
  testTimeout: 300_000,
};
