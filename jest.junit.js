/*
 * Every jest project writes one JUnit report to reports/junit/<project>.xml.
 * scripts/test-summary.mjs totals them into the test command's closing line, and
 * each test target declares the file as an output so Nx restores it on a cache hit.
 */
const { join } = require('node:path');

module.exports = function junitReporters(project) {
  return [
    'default',
    ['jest-junit', { outputDirectory: join(__dirname, 'reports/junit'), outputName: `${project}.xml`, suiteName: project }],
  ];
};
