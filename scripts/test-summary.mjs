#!/usr/bin/env node
/*
 * Totals the JUnit XML reports that every test target writes (jest-junit, pytest --junitxml)
 * and prints one closing line: "tests: N passed, N failed, N skipped".
 * Exits non-zero when a test failed or when no report was found at all, so a suite
 * that silently ran nothing cannot look green.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

const dir = process.argv[2] ?? 'reports/junit';
const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

const asArray = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
let passed = 0, failed = 0, skipped = 0;

for (const file of files) {
  const doc = parser.parse(readFileSync(join(dir, file), 'utf8'));
  // Both <testsuites><testsuite/>...</testsuites> and a bare <testsuite/> occur.
  const suites = [...asArray(doc.testsuites?.testsuite), ...asArray(doc.testsuite)];
  let p = 0, f = 0, s = 0;
  for (const suite of suites) {
    for (const tc of asArray(suite.testcase)) {
      if (tc.failure !== undefined || tc.error !== undefined) f++;
      else if (tc.skipped !== undefined) s++;
      else p++;
    }
  }
  console.log(`  ${file.replace(/\.xml$/, '').padEnd(24)} ${p} passed, ${f} failed, ${s} skipped`);
  passed += p; failed += f; skipped += s;
}

if (files.length === 0) {
  console.error(`test-summary: no JUnit reports in ${dir}; did any test target run?`);
  process.exit(1);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
