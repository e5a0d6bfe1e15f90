/* Test trees: createTreeWithEmptyWorkspace seeded by the chart generator, and a "committed" copy on disk whose listChanges() starts empty. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { chartGenerator } from '../generators/chart/generator';
import { DiskTree } from './disk-tree';
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

/** The same, written to a temp folder and reopened: nothing is pending, so listChanges() shows exactly what a generator wrote. */
export async function committedTree(): Promise<Tree> {
  const seeded = await seededTree();
  const root = mkdtempSync(join(tmpdir(), 'generators-'));
  writeToDisk(root, seeded);
  return new DiskTree(root);
}

/** Writes a tree's files under `root` (what `nx g` does at the end), for tests that run real tools on them. */
export function writeToDisk(root: string, tree: Tree): void {
  for (const c of tree.listChanges()) {
    const file = join(root, c.path);
    if (c.type === 'DELETE') rmSync(file, { force: true, recursive: true });
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, c.content ?? '');
    }
  }
}

export function readConfigJson(tree: Tree): PlatformConfig {
  return JSON.parse(tree.read(CONFIG_FILE, 'utf-8')!);
}
