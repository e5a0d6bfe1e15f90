/*
 * scripts/build-lib.sh: the helpers tools/base-images and tools/offline-kind share. Their image keys
 * must not move when the helpers moved there (a moved key rebuilds the bases, or the ~20-minute node
 * image, on every machine): key_of gives the keys the two copies gave, with the repository path of a
 * file (base-images, KEY_PATHS_FROM) and without it (offline-kind). The expected keys were computed with
 * the two copies as they were before the move, on the same inputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'build-lib-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function inLib(script: string, env: Record<string, string>): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `. "$BUILD_LIB_REPO/scripts/build-lib.sh"; ${script}`], {
    encoding: 'utf8',
    // a mirror that is only named, never reached: sourcing the library needs one
    env: { ...process.env, BUILD_LIB_NAME: 'test', BUILD_LIB_REPO: repo, TODO_DEBIAN_MIRROR: 'http://mirror.invalid/debian', TODO_DEBIAN_SECURITY_MIRROR: 'http://mirror.invalid/debian-security', ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('scripts/build-lib.sh', () => {
  mkdirSync(join(tmp, 'sub'));
  writeFileSync(join(tmp, 'sub', 'Dockerfile'), 'FROM scratch\n');
  const args = `bookworm "@${tmp}/sub/Dockerfile" x`;

  it('key_of with KEY_PATHS_FROM: the key base-images always gave (path inside the tree and content)', () => {
    expect(inLib(`key_of ${args}`, { KEY_PATHS_FROM: tmp }).stdout).toBe('3af4e2eadcd8');
  });

  it('key_of without it: the key offline-kind always gave (content alone)', () => {
    expect(inLib(`key_of ${args}`, {}).stdout).toBe('929fc7d39788');
  });

  it('a file moved inside the tree keeps its offline-kind key and changes its base-images key', () => {
    mkdirSync(join(tmp, 'other'));
    writeFileSync(join(tmp, 'other', 'Dockerfile'), 'FROM scratch\n');
    const moved = `bookworm "@${tmp}/other/Dockerfile" x`;
    expect(inLib(`key_of ${moved}`, {}).stdout).toBe('929fc7d39788');
    expect(inLib(`key_of ${moved}`, { KEY_PATHS_FROM: tmp }).stdout).not.toBe('3af4e2eadcd8');
  });

  it('log and die carry the tool name; the mirrors come from the machine (here: the overrides)', () => {
    const r = inLib('log hello; echo "$DEBIAN_MIRROR"; die broken', { BUILD_LIB_NAME: 'base-images' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('http://mirror.invalid/debian');
    expect(r.stderr).toBe('base-images: hello\nbase-images: error: broken\n');
  });
});
