/*
 * Drift test: the checked-in charts/todo and apps/*-image are generator output. Re-running
 * `nx g chart` on a Tree loaded from the real workspace must change nothing; a difference means
 * someone edited output by hand (put the refinement in libs/k8s-templates) or forgot to regenerate.
 */
import { join } from 'node:path';
import { FsTree } from 'nx/src/generators/tree';
import { chartGenerator } from '../generators/chart/generator';

const WORKSPACE = join(__dirname, '../../../..');

it('charts/todo, apps/*-image and the environment values equal what the generators produce', async () => {
  const started = Date.now();
  const tree = new FsTree(WORKSPACE, false);
  await chartGenerator(tree, {});
  const drift = tree.listChanges().map((c) => `${c.type} ${c.path}`);
  expect(drift).toEqual([]);
  console.log(`drift check: ${Date.now() - started} ms`);
});
