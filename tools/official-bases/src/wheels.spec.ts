/*
 * The backend image installs requirements.txt with `pip install --only-binary=:all:`: one missing wheel
 * breaks every user's first build. For the default base's Python, `pip download` (PyPI, through pip's own
 * configuration) must find a wheel of every pinned requirement for musllinux (the Alpine default) and
 * manylinux (the Debian variants and the offline base) on x86_64 and aarch64. Reads the requirements
 * file, so it covers whatever is pinned there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImageVersions, pinnedRequirements, python, wheelName, WORKSPACE } from './bases';

// Newest glibc each Debian suite ships: manylinux_2_<n> wheels up to it install there.
const GLIBC: Record<string, number> = { bookworm: 36, trixie: 41 };
const suite = baseImageVersions().DEBIAN_SUITE;
const tmp = mkdtempSync(join(tmpdir(), 'wheels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function platforms(libc: 'musl' | 'glibc', arch: 'x86_64' | 'aarch64'): string[] {
  if (libc === 'musl') return [`musllinux_1_2_${arch}`, `musllinux_1_1_${arch}`];
  const max = GLIBC[suite];
  if (!max) throw new Error(`tools/base-images/versions.env: DEBIAN_SUITE=${suite} has no glibc version here; add it to GLIBC`);
  return [`manylinux2014_${arch}`, ...Array.from({ length: max - 16 }, (_, i) => `manylinux_2_${17 + i}_${arch}`)];
}

const cases = (['musl', 'glibc'] as const).flatMap((libc) => (['x86_64', 'aarch64'] as const).map((arch) => [libc, arch] as const));
const requirements = pinnedRequirements();

describe(`wheels of apps/backend/requirements.txt for Python ${python.minor} (${python.ref})`, () => {
  it('pins something', () => expect(requirements.length).toBeGreaterThan(10));

  it.each(cases)('%s %s: pip download --only-binary=:all: finds every one', (libc, arch) => {
    const dest = join(tmp, `${libc}-${arch}`);
    const abi = `cp${python.minor.replace('.', '')}`;
    const args = ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--dest', dest,
      '--python-version', python.minor, '--implementation', 'cp', '--abi', abi, '--abi', 'abi3', '--abi', 'none',
      ...platforms(libc, arch).flatMap((p) => ['--platform', p]), '-r', join(WORKSPACE, 'apps/backend/requirements.txt')];
    const r = spawnSync('python3', args, { encoding: 'utf8', env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    expect(r.error).toBeUndefined();
    if (r.status !== 0) throw new Error(`pip download for ${libc} ${arch}, Python ${python.minor} failed:\n${r.stderr}`);

    const wheels = readdirSync(dest).filter((f) => f.endsWith('.whl'));
    for (const { name, version } of requirements) {
      const wheel = wheels.find((w) => w.toLowerCase().startsWith(`${wheelName(name)}-${version.toLowerCase()}-`));
      expect({ requirement: `${name}==${version}`, wheel: wheel ?? 'none' }).toEqual({ requirement: `${name}==${version}`, wheel: expect.stringMatching(/\.whl$/) });
      // A binary wheel must be for this libc and machine; pure ones (none-any) fit everywhere.
      const tags = (wheel as string).replace(/\.whl$/, '').split('-').slice(-3);
      if (tags[2] !== 'any') {
        expect(tags[2]).toMatch(new RegExp(`${libc === 'musl' ? 'musllinux' : 'manylinux'}[^.]*_${arch}`));
        expect(tags[0]).toMatch(new RegExp(`^(${abi}|cp3\\d*)$`));
      }
    }
    expect(wheels).toHaveLength(requirements.length);
  });
});
