// Jest via next/jest (SWC transform, CSS mocks, tsconfig paths). Components run in jsdom; the proxy
// route tests opt into Node with a `@jest-environment node` docblock.
const nextJest = require('next/jest');
const junitReporters = require('../../jest.junit');

const createJestConfig = nextJest({ dir: __dirname });

/** @type {import('jest').Config} */
const config = {
  displayName: 'frontend',
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.ts?(x)'],
  setupFilesAfterEnv: ['<rootDir>/tests/setup.ts'],
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/$1' },
  reporters: junitReporters('frontend'),
  clearMocks: true,
  restoreMocks: true,
};

module.exports = createJestConfig(config);
