/**
 * nx release for the images (tools/release): the dry run's plan. For the next minor version it must
 * bump every image of the fixed group, tag and push <registry>/todo-<name>:v<next> through @nx/docker,
 * move the chart's version and appVersion to <next>, preview the CHANGELOG.md entry, and change nothing:
 * no file in the checkout, no docker tag.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE } from './copy';

const REGISTRY = 'registry.example.test/team';
const current: string = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')).version;
const [maj, min] = current.split('.').map(Number);
const next = `${maj}.${min + 1}.0`;
// The release group is every image project (nx.json release.projects "tag:type:image").
const images: string[] = readdirSync(join(WORKSPACE, 'apps'))
  .filter((d) => existsSync(join(WORKSPACE, 'apps', d, 'project.json')))
  .filter((d) => JSON.parse(readFileSync(join(WORKSPACE, 'apps', d, 'project.json'), 'utf8')).tags?.includes('type:image'));
const repository = (project: string): string =>
  JSON.parse(readFileSync(join(WORKSPACE, 'apps', project, 'project.json'), 'utf8')).release.docker.repositoryName;
const git = (...args: string[]) => spawnSync('git', args, { cwd: WORKSPACE, encoding: 'utf8' }).stdout;

describe('nx release --dry-run plan (tools/release/release.mjs)', () => {
  let output = '';
  let statusBefore = '';
  beforeAll(() => {
    statusBefore = git('status', '--porcelain');
    const r = spawnSync('node', ['tools/release/release.mjs', 'minor', '--dry-run', '--registry', REGISTRY], {
      cwd: WORKSPACE, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
    });
    // Nx colours its output whatever FORCE_COLOR says: compare the text.
    output = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
    if (r.status !== 0) throw new Error(`release dry run failed (${r.status}):\n${output}`);
  }, 600_000);

  it('versions the fixed group of images from the current version to the next minor', () => {
    expect(images.sort()).toEqual(['backend-image', 'frontend-image']);
    expect(JSON.parse(readFileSync(join(WORKSPACE, 'nx.json'), 'utf8')).release.projects).toEqual(['tag:type:image']);
    for (const p of images) expect(output).toContain(`release: ${p} ${current} -> ${next}; image tag v${next}`);
    expect(output).toMatch(new RegExp(`UPDATE package\\.json \\[dry-run\\]`));
  });

  it('@nx/docker would tag and push <registry>/<repository>:v<next> of each image', () => {
    for (const p of images) {
      const ref = `${REGISTRY}/${repository(p)}:v${next}`;
      expect(output).toContain(`Image would be tagged with ${ref} but dry run is enabled.`);
      expect(output).toContain(`release: would push ${ref}`);
    }
  });

  it("keeps the chart's version and appVersion in step and previews the changelog", () => {
    expect(output).toMatch(new RegExp(`release: chart todo version \\S+ -> ${next.replace(/\./g, '\\.')}, appVersion ${next.replace(/\./g, '\\.')}`));
    expect(output).toContain(`Previewing an entry in CHANGELOG.md for v${next}`);
  });

  it('changes nothing', () => {
    expect(git('status', '--porcelain')).toBe(statusBefore);
    const tagged = spawnSync(process.env.DOCKER || 'docker', ['image', 'inspect', `${REGISTRY}/${repository(images[0])}:v${next}`]);
    expect(tagged.status).not.toBe(0);
  });
});
