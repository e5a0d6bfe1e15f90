/*
 * scripts/test-summary.mjs, the closing lines of `npm test`: it totals the JUnit reports and names each
 * failed case with the start of its message (CI keeps only the tail of a run's output).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', '..', 'scripts', 'test-summary.mjs');
let dir = '';

const summary = (): { status: number; out: string } => {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'test-summary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/test-summary.mjs', () => {
  it('totals jest-junit and pytest reports and names each failed case with its message, colours stripped', () => {
    const long = Array.from({ length: 30 }, (_, i) => `    at frame ${i}`).join('\n');
    writeFileSync(join(dir, 'base-images.xml'), `<?xml version="1.0"?>
<testsuites><testsuite name="postgres" tests="3">
<testcase classname="todo-base/postgres" name="stops quickly" time="1"><failure>\u001b[31mError: expect(received).toBeLessThan(expected)\u001b[39m

Expected: &lt; 10000
Received:   12345
${long}</failure></testcase>
<testcase classname="todo-base/postgres" name="reads POSTGRES_PASSWORD_FILE" time="1"/>
<testcase classname="todo-base/postgres" name="later" time="0"><skipped/></testcase>
</testsuite></testsuites>`);
    writeFileSync(join(dir, 'backend.xml'), `<?xml version="1.0"?>
<testsuites><testsuite name="pytest" tests="2"><testcase classname="tests.test_auth" name="test_lock" time="0.1"><failure message="AssertionError: assert 3 == 4">def test_lock():
&gt;       assert 3 == 4</failure></testcase><testcase classname="tests.test_auth" name="test_ok" time="0.1"/></testsuite></testsuites>`);
    const { status, out } = summary();
    expect(status).toBe(1);
    expect(out).toMatch(/backend\s+1 passed, 1 failed, 0 skipped/);
    expect(out).toMatch(/base-images\s+1 passed, 1 failed, 1 skipped/);
    expect(out).toContain('FAILED base-images: todo-base/postgres › stops quickly\n    Error: expect(received).toBeLessThan(expected)\n    Expected: < 10000\n    Received:   12345\n');
    expect(out).not.toContain('\u001b[');
    expect(out).toContain(`… 21 more lines in ${join(dir, 'base-images.xml')}`);
    expect(out).toContain('FAILED backend: tests.test_auth › test_lock\n    AssertionError: assert 3 == 4\n    def test_lock():\n    >       assert 3 == 4\n');
    expect(out.trimEnd().split('\n').pop()).toBe('tests: 2 passed, 2 failed, 1 skipped');
  });

  it('all green: exit 0 and no FAILED line', () => {
    writeFileSync(join(dir, 'a.xml'), '<testsuite name="a"><testcase classname="a" name="one"/></testsuite>');
    const { status, out } = summary();
    expect(status).toBe(0);
    expect(out).not.toContain('FAILED');
    expect(out.trimEnd().split('\n').pop()).toBe('tests: 1 passed, 0 failed, 0 skipped');
  });

  it('no report at all is a failure that says so', () => {
    const { status, out } = summary();
    expect(status).toBe(1);
    expect(out).toMatch(/no JUnit reports in .*did any test target run\?/);
  });
});
