/**
 * `nx g chart` (alias `init`): renders all generated output from environments.json.
 * The checked-in charts/todo and apps/*-image are this generator's output; the drift check
 * (`nx run todo:drift`, part of todo:test) runs it with --check against the real files.
 */
import { Tree, formatFiles, logger } from '@nx/devkit';
import { CONFIG_FILE, seedConfig } from '../../platform/config';
import { readConfig, writeAll, writeConfig } from '../../platform/files';
import { OptionError } from '../../platform/validate';
import type { ChartGeneratorSchema } from './schema';

export function normalizeOptions(tree: Tree, options: ChartGeneratorSchema) {
  if (options.check !== undefined && typeof options.check !== 'boolean')
    throw new OptionError(`Invalid --check=${String(options.check)}`, `it is a flag, pass --check or leave it out`);
  const existing = readConfig(tree);
  return { check: options.check ?? false, config: existing ?? seedConfig(), seeded: !existing };
}

export async function chartGenerator(tree: Tree, options: ChartGeneratorSchema = {}) {
  const { check, config, seeded } = normalizeOptions(tree, options);
  if (seeded) writeConfig(tree, config);
  writeAll(tree, config);
  await formatFiles(tree);
  if (check) {
    const changes = tree.listChanges();
    if (changes.length > 0)
      throw new Error(
        `Generated files are out of date (${changes.map((c) => `${c.type.toLowerCase()} ${c.path}`).join(', ')}): run \`npx nx g chart\` and commit the result; refinements belong in libs/k8s-templates`,
      );
  }
  return () => {
    if (seeded) logger.info(`Created ${CONFIG_FILE} with services ${Object.keys(config.services).join(', ')} and environments ${Object.keys(config.environments).join(', ')}.`);
  };
}

export default chartGenerator;
