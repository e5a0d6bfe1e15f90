/*
 * scripts/debian-mirror.sh: the Debian mirrors the offline builds debootstrap from come from the machine's
 * apt configuration, never from the repository. Sample configurations in both formats, checked against
 * the expected mirrors and against apt's own reading of the same files (`apt-get indextargets` with
 * Dir::Etc pointed at them), then the real machine's /etc/apt.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', '..', 'scripts', 'debian-mirror.sh');
const tmp = mkdtempSync(join(tmpdir(), 'debian-mirror-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run { status: number; stdout: string; stderr: string; vars: Record<string, string> }

function resolve(dir: string, env: Record<string, string> = {}): Run {
  const clean = { ...process.env };
  delete clean.TODO_DEBIAN_MIRROR;
  delete clean.TODO_DEBIAN_SECURITY_MIRROR;
  const r = spawnSync('bash', [script, dir], { encoding: 'utf8', env: { ...clean, ...env } });
  // The output is meant for eval: let bash evaluate it, so quoting is checked too.
  const vars: Record<string, string> = {};
  if (r.status === 0) {
    const shown = spawnSync('bash', ['-c', `eval "$1"; printf '%s\\n%s\\n' "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR"`, '_', r.stdout], { encoding: 'utf8' });
    [vars.DEBIAN_MIRROR, vars.DEBIAN_SECURITY_MIRROR] = shown.stdout.split('\n');
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, vars };
}

let n = 0;
function aptDir(files: Record<string, string>): string {
  const dir = join(tmp, `etc-${n++}`);
  mkdirSync(join(dir, 'sources.list.d'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * What apt itself reads from a configuration directory: "<uri> <suite>" of each deb repository, from
 * `apt-get update --print-uris` (prints the InRelease URLs it would fetch, fetches nothing).
 */
function aptReads(dir: string): string[] | undefined {
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  const r = spawnSync('apt-get', ['-o', `Dir::Etc::sourcelist=${dir}/sources.list`, '-o', `Dir::Etc::sourceparts=${dir}/sources.list.d`,
    '-o', `Dir::State::lists=${dir}/lists`, 'update', '--print-uris'], { encoding: 'utf8' });
  if (r.error) return undefined; // no apt on this machine: the fixed expectations still hold
  expect(r.status).toBe(0);
  return [...r.stdout.matchAll(/^'(\S+)\/dists\/(\S+)\/InRelease'/gm)].map((m) => `${m[1]} ${m[2]}`);
}

const deb822 = `# the machine's Debian sources, as a fresh Debian 12/13 install writes them
Types: deb deb-src
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: https://mirror.example.internal/debian/
Suites: bookworm
  bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://mirror.example.internal/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;
const thirdParty = `Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main

Types: deb
URIs: https://apt.postgresql.example/pub/repos/apt
Suites: bookworm-pgdg
Components: main
`;

describe('debian-mirror.sh', () => {
  it('reads deb822 .sources files (multi-line fields, comments) and skips third-party suites', () => {
    const dir = aptDir({ 'sources.list.d/a-thirdparty.sources': thirdParty, 'sources.list.d/debian.sources': deb822 });
    const r = resolve(dir);
    expect(r.stderr).toBe('');
    expect(r.vars).toEqual({ DEBIAN_MIRROR: 'https://mirror.example.internal/debian', DEBIAN_SECURITY_MIRROR: 'https://mirror.example.internal/debian-security' });
    const apt = aptReads(dir);
    if (apt) expect(apt).toEqual(expect.arrayContaining(['https://mirror.example.internal/debian bookworm', 'https://mirror.example.internal/debian-security bookworm-security']));
  });

  it('reads one-line sources.list and *.list files, with [options], and ignores deb-src and comments', () => {
    const dir = aptDir({
      'sources.list': [
        '# deb http://commented.example/debian bookworm main',
        'deb-src http://src.example/debian trixie main',
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://proxy.example:3142/debian trixie main non-free-firmware # trailing comment',
        '',
      ].join('\n'),
      'sources.list.d/security.list': 'deb [ arch=amd64 ] http://proxy.example:3142/debian-security trixie-security main\n',
      'sources.list.d/docker.list': 'deb https://download.docker.example/linux/debian trixie stable\n',
    });
    const r = resolve(dir);
    expect(r.vars).toEqual({ DEBIAN_MIRROR: 'http://proxy.example:3142/debian', DEBIAN_SECURITY_MIRROR: 'http://proxy.example:3142/debian-security' });
    const apt = aptReads(dir);
    if (apt) expect(apt).toEqual(expect.arrayContaining(['http://proxy.example:3142/debian trixie', 'http://proxy.example:3142/debian-security trixie-security']));
  });

  it('skips disabled stanzas and files apt ignores, and takes -updates when the plain suite is absent', () => {
    const dir = aptDir({
      'sources.list.d/old.sources': deb822.replace(/^Types:/gm, 'Enabled: no\nTypes:'),
      'sources.list.d/debian.sources.disabled': deb822,
      'sources.list.d/updates.sources': 'Types: deb\nURIs: http://updates-only.example/debian\nSuites: trixie-updates\nComponents: main\n\nTypes: deb\nURIs: http://updates-only.example/debian-security\nSuites: trixie-security\nComponents: main\n',
    });
    expect(resolve(dir).vars).toEqual({ DEBIAN_MIRROR: 'http://updates-only.example/debian', DEBIAN_SECURITY_MIRROR: 'http://updates-only.example/debian-security' });
  });

  it('lets TODO_DEBIAN_MIRROR and TODO_DEBIAN_SECURITY_MIRROR win, each on its own', () => {
    const dir = aptDir({ 'sources.list.d/debian.sources': deb822 });
    expect(resolve(dir, { TODO_DEBIAN_MIRROR: 'http://override.example/debian' }).vars).toEqual({
      DEBIAN_MIRROR: 'http://override.example/debian',
      DEBIAN_SECURITY_MIRROR: 'https://mirror.example.internal/debian-security',
    });
    // With both set, no apt configuration is needed at all.
    const none = aptDir({});
    expect(resolve(none, { TODO_DEBIAN_MIRROR: 'http://a.example/debian', TODO_DEBIAN_SECURITY_MIRROR: 'http://b.example/s' }).vars).toEqual({
      DEBIAN_MIRROR: 'http://a.example/debian',
      DEBIAN_SECURITY_MIRROR: 'http://b.example/s',
    });
  });

  it('fails with a message naming what it read and the variable to set when no Debian mirror is configured', () => {
    const r = resolve(aptDir({ 'sources.list.d/third.sources': thirdParty }));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no Debian archive mirror in the apt configuration/);
    expect(r.stderr).toMatch(/deb https:\/\/deb\.nodesource\.example\/node_20\.x nodistro/);
    expect(r.stderr).toMatch(/set TODO_DEBIAN_MIRROR=/);

    const noSecurity = resolve(aptDir({ 'sources.list': 'deb http://only.example/debian bookworm main\n' }));
    expect(noSecurity.status).toBe(1);
    expect(noSecurity.stderr).toMatch(/no Debian security mirror.*\n(.*\n)*.*TODO_DEBIAN_SECURITY_MIRROR=/);

    const mirrorList = resolve(aptDir({ 'sources.list': 'deb mirror+file:/etc/apt/mirrors.txt bookworm main\ndeb http://s.example/debian-security bookworm-security main\n' }));
    expect(mirrorList.status).toBe(1);
    expect(mirrorList.stderr).toMatch(/'mirror\+file:\/etc\/apt\/mirrors.txt' is not an http\(s\):\/\/ or file:\/ URI.*TODO_DEBIAN_MIRROR/);
  });

  it("resolves this machine's own /etc/apt to the mirrors apt itself uses", () => {
    const r = resolve('/etc/apt');
    expect(r.status).toBe(0);
    expect(r.vars.DEBIAN_MIRROR).toMatch(/^(https?:\/\/|file:\/)/);
    expect(r.vars.DEBIAN_SECURITY_MIRROR).toMatch(/^(https?:\/\/|file:\/)/);
    const apt = spawnSync('apt-get', ['indextargets', '--format', '$(REPO_URI)|$(RELEASE)|$(TARGET_OF)'], { encoding: 'utf8' });
    if (apt.error) return; // not a Debian machine: the format checks above are what can be said
    const uris = apt.stdout.split('\n').filter((l) => l.endsWith('|deb')).map((l) => l.split('|'));
    expect(uris.some(([u, s]) => u.replace(/\/+$/, '') === r.vars.DEBIAN_MIRROR && !/-(security|backports)$/.test(s))).toBe(true);
    expect(uris.some(([u, s]) => u.replace(/\/+$/, '') === r.vars.DEBIAN_SECURITY_MIRROR && s.endsWith('-security'))).toBe(true);
  });
});
