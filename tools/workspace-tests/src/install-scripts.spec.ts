/**
 * What a newcomer's `npm ci` prints: npm runs no dependency's install script unless package.json's
 * allowScripts allows it, and lists every one it skipped that nobody decided. Each is decided, with
 * its reason beside it ("//allowScripts"), so a clean install prints nothing to act on.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE } from './copy';

const pkg = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8'));

describe('install scripts of the dependencies', () => {
  it('every install script of the installed tree is decided (`npm install-scripts ls`)', () => {
    const r = spawnSync('npm', ['install-scripts', 'ls'], { cwd: WORKSPACE, encoding: 'utf8' });
    expect([r.status, r.stdout.trim()]).toEqual([0, 'No packages with unreviewed install scripts.']);
  });

  it('each decision says why', () => {
    const decided = Object.keys(pkg.allowScripts ?? {});
    expect(decided.sort()).toEqual(['@parcel/watcher', '@swc/core', 'nx']);
    for (const name of decided) expect([name, typeof pkg['//allowScripts']?.[name]]).toEqual([name, 'string']);
  });
});
