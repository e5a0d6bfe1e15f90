/* nx g chart: seeds the platform, is idempotent, removes stale output, and --check reports drift. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartGenerator } from '../generators/chart/generator';
import { committedTree, readConfigJson, seededTree } from './trees';

describe('chart generator', () => {
  it('seeds environments.json and renders chart, image projects and cluster config', async () => {
    const tree = await seededTree();
    const config = readConfigJson(tree);
    expect(config.$schema).toBe('./tools/generators/environments.schema.json');
    expect(Object.keys(config.services)).toEqual(['backend', 'frontend']);
    for (const f of [
      'charts/todo/Chart.yaml', 'charts/todo/values.yaml', 'charts/todo/values.schema.json', 'charts/todo/templates/_helpers.tpl',
      'charts/todo/templates/NOTES.txt', 'charts/todo/templates/backend/deployment.yaml', 'charts/todo/values-local.yaml',
      'charts/todo/values-dev.yaml', 'charts/todo/clusters/kind.yaml', 'charts/todo/project.json',
      'apps/backend-image/Dockerfile', 'apps/backend-image/Dockerfile.dockerignore', 'apps/frontend-image/project.json',
    ])
      expect([f, tree.exists(f)]).toEqual([f, true]);
    const project = JSON.parse(tree.read('charts/todo/project.json', 'utf-8')!);
    expect(project.name).toBe('todo');
    expect(project.targets.lint).toMatchObject({ executor: '@todo/generators:chart-lint', options: { helm: ['helm3', 'helm4'] } });
    expect(project.targets.template.executor).toBe('@todo/generators:chart-template');
  });

  it('writes nothing when the output is up to date', async () => {
    const tree = await committedTree();
    await chartGenerator(tree, {});
    expect(tree.listChanges()).toEqual([]);
    await expect(chartGenerator(tree, { check: true })).resolves.toBeDefined();
  });

  it('--check fails on a hand edit and names the file; without --check it restores it', async () => {
    const tree = await committedTree();
    // A hand edit of checked-in output (on disk, not pending in the tree).
    writeFileSync(join(tree.root, 'charts/todo/templates/backend/service.yaml'), 'edited\n');
    await expect(chartGenerator(tree, { check: true })).rejects.toThrow(/out of date \(update charts\/todo\/templates\/backend\/service\.yaml\)/);
    const fresh = await committedTree();
    writeFileSync(join(fresh.root, 'charts/todo/templates/backend/service.yaml'), 'edited\n');
    await chartGenerator(fresh, {});
    expect(fresh.listChanges().map((c) => `${c.type} ${c.path}`)).toEqual(['UPDATE charts/todo/templates/backend/service.yaml']);
  });

  it('removes the output of a service or environment that is gone, and leaves foreign files alone', async () => {
    const tree = await committedTree();
    const config = readConfigJson(tree);
    delete config.environments.dev;
    tree.write('environments.json', JSON.stringify(config, null, 2));
    tree.write('charts/todo/NOTES.md', '# notes\n');
    await chartGenerator(tree, {});
    expect(tree.exists('charts/todo/values-dev.yaml')).toBe(false);
    expect(tree.exists('charts/todo/values-local.yaml')).toBe(true);
    expect(tree.exists('charts/todo/NOTES.md')).toBe(true);
  });

  it('refuses a non-boolean --check', async () => {
    const tree = await committedTree();
    await expect(chartGenerator(tree, { check: 'yes' as never })).rejects.toThrow(/Invalid --check=yes/);
    expect(tree.listChanges()).toEqual([]);
  });
});
