#!/usr/bin/env node
/*
 * Totals the JUnit XML reports that every test target writes (jest-junit, pytest --junitxml)
 * and prints one closing line: "tests: N passed, N failed, N skipped".
 * Exits non-zero when a test failed or when no report was found at all, so a suite
 * that silently ran nothing cannot look green.
 * Each failed case is listed above the totals with the start of its message: CI keeps only the tail
 * of a run's output, and a count alone does not say which test to look at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

const dir = process.argv[2] ?? 'reports/junit';
const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

const asArray = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
let passed = 0, failed = 0, skipped = 0;
const failures = [];
/** The failure's text: jest-junit puts it in the element's body, pytest in a message attribute and the body. */
const messageOf = (el) => {
  const first = asArray(el)[0];
  if (typeof first === 'string') return first;
  return [first?.message, first?.['#text']].filter(Boolean).join('\n');
};
const MESSAGE_LINES = 12;

for (const file of files) {
  const doc = parser.parse(readFileSync(join(dir, file), 'utf8'));
  // Both <testsuites><testsuite/>...</testsuites> and a bare <testsuite/> occur.
  const suites = [...asArray(doc.testsuites?.testsuite), ...asArray(doc.testsuite)];
  let p = 0, f = 0, s = 0;
  for (const suite of suites) {
    for (const tc of asArray(suite.testcase)) {
      if (tc.failure !== undefined || tc.error !== undefined) {
        f++;
        failures.push({ report: file.replace(/\.xml$/, ''), name: [tc.classname, tc.name].filter(Boolean).join(' › '),
          message: messageOf(tc.failure ?? tc.error) });
      }
      else if (tc.skipped !== undefined) s++;
      else p++;
    }
  }
  console.log(`  ${file.replace(/\.xml$/, '').padEnd(24)} ${p} passed, ${f} failed, ${s} skipped`);
  passed += p; failed += f; skipped += s;
}

for (const { report, name, message } of failures) {
  // ANSI colours from jest's matchers make the XML's text unreadable in a plain log.
  const lines = String(message).replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() !== '');
  console.log(`\nFAILED ${report}: ${name}`);
  for (const line of lines.slice(0, MESSAGE_LINES)) console.log(`    ${line}`);
  if (lines.length > MESSAGE_LINES) console.log(`    … ${lines.length - MESSAGE_LINES} more lines in ${join(dir, `${report}.xml`)}`);
}
if (failures.length > 0) console.log('');

if (files.length === 0) {
  console.error(`test-summary: no JUnit reports in ${dir}; did any test target run?`);
  process.exit(1);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
