/*
 * The executors load without Nx's ESM loader fallback (tools/generators/executors.js): Node 26
 * deprecates module.register() (DEP0205) and printed the warning into deploy-<env>'s output. A spy
 * preloaded into every Node process Nx starts records each module.register() call on stderr, so the
 * check does not depend on when Node gets round to printing the warning (it did not, in every run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ws = join(__dirname, '..', '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'executor-loading-'));
const spy = join(dir, 'spy.js');
writeFileSync(
  spy,
  `const m = require('node:module');
const register = m.register;
m.register = function (...args) {
  process.stderr.write('SPY module.register(' + String(args[0]).slice(0, 60) + ')\\n');
  return register.apply(this, args);
};
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}) => ({
  ...process.env,
  NODE_OPTIONS: `--no-experimental-strip-types --require ${spy}`,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_SKIP_NX_CACHE: 'true',
  FORCE_COLOR: '0',
  ...extra,
});

describe('executors load without module.register()', () => {
  it('the spy sees a module.register() call', () => {
    const r = spawnSync(process.execPath, ['-e', "require('node:module').register('data:text/javascript,')"], { env: env(), encoding: 'utf8' });
    expect(r.stderr).toContain('SPY module.register(data:text/javascript,)');
  });

  it('deploy-local --dryRun through Nx: the deploy runs, no module.register(), no DeprecationWarning', () => {
    const r = spawnSync(process.execPath, [require.resolve('nx/bin/nx', { paths: [ws] }), 'run', 'todo:deploy-local', '--dryRun', '--output-style=stream'], {
      cwd: ws,
      encoding: 'utf8',
      env: env(),
      timeout: 240_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect([r.status, out]).toEqual([0, expect.stringContaining('Deploying todo to environment local')]);
    expect(out).not.toContain('SPY module.register');
    expect(out).not.toContain('DeprecationWarning');
  });
});
