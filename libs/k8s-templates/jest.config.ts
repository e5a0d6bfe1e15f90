/* Unit tests of the template library: render every template with fixtures, parse YAML, helm lint/template. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const junit = existsSync(join(__dirname, '../../node_modules/jest-junit'))
  ? [['jest-junit', { outputDirectory: join(__dirname, '../../reports/junit'), outputName: 'k8s-templates.xml' }]]
  : [];

export default {
  displayName: 'k8s-templates',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }] },
  reporters: ['default', ...junit],
  testTimeout: 120_000,
};
