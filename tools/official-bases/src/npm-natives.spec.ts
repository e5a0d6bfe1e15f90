/*
 * The frontend image runs `npm ci --workspace=apps/frontend` on the default node:<version>-alpine base,
 * x64 or arm64. npm's own resolver (npm ci --dry-run with --os/--cpu/--libc: reads the lockfile,
 * downloads nothing) must pick Next's SWC binary and sharp's prebuilt binaries for linux-musl on both,
 * and the npm registry must still serve those exact versions with the lockfile's integrity.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { read, WORKSPACE } from './bases';

const tmp = mkdtempSync(join(tmpdir(), 'npm-natives-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// Only the manifests a `npm ci --workspace=apps/frontend` reads (as the image's deps stage copies them).
for (const f of ['package.json', 'package-lock.json', 'apps/frontend/package.json']) {
  mkdirSync(join(tmp, f, '..'), { recursive: true });
  copyFileSync(join(WORKSPACE, f), join(tmp, f));
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string; integrity?: string; os?: string[]; cpu?: string[]; libc?: string[] }> };

function npm(args: string[]): string {
  const r = spawnSync('npm', args, { cwd: tmp, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** "name version" of each package `npm ci` would add for that platform. */
function resolvedFor(cpu: string): Map<string, string> {
  const out = npm(['ci', '--dry-run', '--ignore-scripts', '--workspace=apps/frontend', '--include-workspace-root=false', '--os=linux', `--cpu=${cpu}`, '--libc=musl']);
  return new Map([...out.matchAll(/^add (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

const next = lock.packages['node_modules/next'].version;
const sharp = lock.packages['node_modules/sharp']?.version;

describe.each([['x64'], ['arm64']])('npm ci for linux-musl %s', (cpu) => {
  const natives = [`@next/swc-linux-${cpu}-musl`, ...(sharp ? [`@img/sharp-linuxmusl-${cpu}`, `@img/sharp-libvips-linuxmusl-${cpu}`] : [])];
  let added: Map<string, string>;
  beforeAll(() => {
    added = resolvedFor(cpu);
  });

  it(`adds Next's SWC${sharp ? ' and sharp' : ''} for musl ${cpu}, at the lockfile's versions`, () => {
    expect(added.get('next')).toBe(next);
    for (const name of natives) expect([name, added.get(name)]).toEqual([name, lock.packages[`node_modules/${name}`]?.version ?? 'not in the lockfile']);
    if (sharp) expect(added.get('sharp')).toBe(sharp);
  });

  it('adds no native package of another libc or machine', () => {
    const foreign = [...added.keys()].filter((n) => /^@(next\/swc|img\/sharp)-/.test(n) && !natives.includes(n) && !/^@img\/sharp-(wasm32|webcontainers)/.test(n));
    expect(foreign).toEqual([]);
  });

  it('the lockfile entries say musl and the machine, and the registry serves them with the same integrity', () => {
    for (const name of natives) {
      const entry = lock.packages[`node_modules/${name}`];
      expect({ name, os: entry.os, cpu: entry.cpu, libc: entry.libc }).toEqual({ name, os: ['linux'], cpu: [cpu], libc: ['musl'] });
      const registry = JSON.parse(npm(['view', `${name}@${entry.version}`, 'dist.integrity', 'os', 'cpu', 'libc', '--json']));
      expect({ name, integrity: registry['dist.integrity'], cpu: registry.cpu, libc: registry.libc }).toEqual({ name, integrity: entry.integrity, cpu: [cpu], libc: ['musl'] });
    }
  });
});
