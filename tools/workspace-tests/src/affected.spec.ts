/**
 * `nx affected` is precise: in a throwaway git copy of the workspace, commit one kind of change and
 * assert exactly which projects it affects, that a project README change rebuilds nothing (every
 * build task is a cache hit and the image content key does not move), and that a frontend change
 * builds the frontend image and no other.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { contentKey } from '@todo/generators';
import { type Copy, createCopy, IMAGE_PREFIX, WORKSPACE } from './copy';

const append = (line: string) => (old: string) => `${old}${old.endsWith('\n') || !old ? '' : '\n'}${line}\n`;

/** Every project whose Dockerfile or chart is rendered from libs/k8s-templates, plus the tools that render or check them. */
const FROM_TEMPLATES = ['backend-image', 'chart-checks', 'frontend-image', 'generators', 'k8s-templates', 'official-bases', 'todo'];
/**
 * This project imports generators' content-key code, so Nx makes it depend on generators: whatever
 * affects generators re-runs these tests too. That is intended (they test what generators produce).
 */
const SELF = 'workspace-tests';

/** Project list of the copy, by the names Nx prints. */
const projectsOf = (copy: Copy) =>
  copy
    .nx(['show', 'projects'])
    .output.split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[a-z0-9-]+$/.test(l));

describe('nx affected in a git copy of the workspace', () => {
  let copy: Copy;

  beforeAll(() => {
    copy = createCopy();
  });
  afterAll(() => {
    if (copy && !process.env.KEEP_WS_COPY) copy.remove();
  });
  beforeEach(() => copy.resetToBase());

  it('the copy has the same projects as the workspace', () => {
    expect(projectsOf(copy)).toEqual(expect.arrayContaining(['frontend', 'backend', 'frontend-image', 'backend-image', 'todo', 'e2e', 'k8s-templates', 'generators']));
  });

  // e2e drives the real frontend and backend (implicitDependencies), so a change to either app must run it.
  it('a frontend component affects frontend, its image, the chart and e2e', () => {
    const head = copy.commit('frontend component', { 'apps/frontend/components/TaskItem.tsx': append('// affected-test change') });
    expect(copy.affected(head)).toEqual(['e2e', 'frontend', 'frontend-image', 'todo']);
  });

  it('a backend model affects backend, its image, the chart and e2e', () => {
    const head = copy.commit('backend model', { 'apps/backend/todo_api/models.py': append('# affected-test change') });
    expect(copy.affected(head)).toEqual(['backend', 'backend-image', 'e2e', 'todo']);
  });

  // The chart is generated, and its drift check (todo:drift, part of todo:test) belongs to the chart:
  // a hand edit of it affects todo only, whose test target catches the edit. Nothing depends on todo,
  // and no other project reads charts/** as an input (Nx counts `{workspaceRoot}/…` inputs as touched).
  it('a chart template affects the chart only', () => {
    const head = copy.commit('chart template', { 'charts/todo/templates/ingress.yaml': append('# affected-test change') });
    expect(copy.affected(head)).toEqual(['todo']);
  });

  // The chart and the image projects are generator output: a generator change affects the chart
  // project (todo depends on generators; its drift target re-renders everything), not the images' apps.
  it('a generator change affects the generator, the chart and this project', () => {
    const head = copy.commit('generator', { 'tools/generators/src/generators/chart/generator.ts': append('// affected-test change') });
    expect(copy.affected(head)).toEqual(['generators', 'todo', SELF]);
  });

  it('a libs/k8s-templates template affects every artefact rendered from it', () => {
    const head = copy.commit('k8s template', { 'libs/k8s-templates/src/templates/k8s/namespace.yaml.hbs': append('{{! affected-test change }}') });
    expect(copy.affected(head)).toEqual([...FROM_TEMPLATES, SELF].sort());
  });

  it('the root README affects no project', () => {
    const head = copy.commit('root readme', { 'README.md': append('affected-test change') });
    expect(copy.affected(head)).toEqual([]);
  });

  it('a project README: affected, but `nx affected -t build` is all cache hits and the image content key does not move', () => {
    const readme = 'apps/frontend/README.md';
    const head = copy.commit('frontend readme', { [readme]: append('affected-test change') });
    const args = ['affected', '-t', 'build', `--base=${copy.base}`, `--head=${head}`, '--output-style=static'];

    const keyNow = () =>
      contentKey({ workspaceRoot: copy.root, dockerfile: 'apps/frontend-image/Dockerfile', context: '.', buildArgs: {}, baseImageIds: {} }).key;

    // Warm the cache with the tree at the base commit...
    copy.git('checkout', '-q', '--detach', copy.base);
    const warm = copy.nx(args);
    expect(warm.status).toBe(0);
    expect(warm.output).toMatch(/Successfully ran target build for (1 project|project frontend)/);
    const keyBefore = keyNow();

    // ...then the README commit: the same tasks, all read from the cache.
    copy.git('checkout', '-q', '--detach', head);
    const again = copy.nx(args);
    expect(again.status).toBe(0);
    expect(again.output).toMatch(/Successfully ran target build for (1 project|project frontend)/);
    const hits = again.output.match(/Nx read the output from the cache instead of running the command for (\d+) out of (\d+) tasks/);
    expect(hits).not.toBeNull();
    expect(hits![1]).toBe(hits![2]);
    // The docker-build content key: README.md is outside the Dockerfile.dockerignore allow-list.
    expect(keyNow()).toBe(keyBefore);
  });

  it('a frontend change: `nx affected -t docker-build` builds the frontend image and no other', () => {
    const head = copy.commit('frontend component for docker-build', { 'apps/frontend/components/TaskItem.tsx': append('// affected-test docker change') });
    copy.git('checkout', '-q', '--detach', head);

    let bases = process.env.TODO_BASE_IMAGES;
    if (bases) bases = isAbsolute(bases) ? bases : resolve(WORKSPACE, bases);
    else {
      // Local base images (skipped quickly when the daemon has them): no registry needed.
      const r = spawnSync('npx', ['nx', 'run', 'base-images:build', '--output-style=static'], { cwd: WORKSPACE, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
      expect(r.status).toBe(0);
      bases = join(WORKSPACE, 'dist/base-images/images.json');
    }
    expect(existsSync(bases)).toBe(true);

    const r = copy.nx(['affected', '-t', 'docker-build', `--base=${copy.base}`, `--head=${head}`, '--output-style=static'], { TODO_BASE_IMAGES: bases });
    try {
      expect(r.status).toBe(0);
      expect(r.output).toMatch(/Successfully ran target docker-build for (1 project|project frontend-image)/);
      const records = existsSync(join(copy.root, 'dist/images')) ? readdirSync(join(copy.root, 'dist/images')).sort() : [];
      expect(records).toEqual(['frontend-image.json']);
      const record = JSON.parse(readFileSync(join(copy.root, 'dist/images/frontend-image.json'), 'utf8'));
      expect(record.image).toBe(`${IMAGE_PREFIX}todo-frontend`);
      expect(r.output).not.toMatch(/backend-image:docker-build/);
    } finally {
      // Remove only the images this test made (prefixed names).
      const tags = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', `${IMAGE_PREFIX}todo-frontend`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (tags.length) spawnSync('docker', ['rmi', ...tags], { encoding: 'utf8' });
    }
  });
});
