/* Test trees: createTreeWithEmptyWorkspace seeded by the chart generator, and a "committed" copy on disk whose listChanges() starts empty. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { FsTree, flushChanges } from 'nx/src/generators/tree';
import { chartGenerator } from '../generators/chart/generator';
import { CONFIG_FILE, PlatformConfig } from '../platform/config';

/** An empty Nx workspace plus what `nx g chart` seeds (environments.json, charts/todo, apps/*-image). */
export async function seededTree(): Promise<Tree> {
  const tree = createTreeWithEmptyWorkspace();
  // Like the real workspace: no formatter configured, so formatFiles leaves the Helm templates as rendered.
  tree.delete('.oxfmtrc.json');
  tree.write('package.json', JSON.stringify({ name: '@todo/source', version: '0.1.0', workspaces: ['apps/frontend'] }));
  await chartGenerator(tree, {});
  return tree;
}

/** The same, flushed to a temp folder and reopened: nothing is pending, so listChanges() shows exactly what a generator wrote. */
export async function committedTree(): Promise<Tree> {
  const seeded = await seededTree();
  const root = mkdtempSync(join(tmpdir(), 'generators-'));
  flushChanges(root, seeded.listChanges());
  return new FsTree(root, false);
}

export function readConfigJson(tree: Tree): PlatformConfig {
  return JSON.parse(tree.read(CONFIG_FILE, 'utf-8')!);
}
