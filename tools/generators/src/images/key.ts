/**
 * The content key of an image: what docker-build skips on (the daemon has the image tagged
 * content-<key>), and what the workspace tests check does not move.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ContextEntry, ignoreFileFor, listContext, parseIgnoreFile, sha256 } from './dockerignore';
import { OptionError } from '../platform/validate';

export interface KeyInputs {
  workspaceRoot: string;
  /** Dockerfile path relative to the workspace root. */
  dockerfile: string;
  /** Context directory relative to the workspace root ("." for the root). */
  context: string;
  /** Build arguments that change the image (labels like CREATED/REVISION excluded by the caller). */
  buildArgs: Record<string, string>;
  /** Image ids of the base images, by build argument name. */
  baseImageIds: Record<string, string>;
  /** The Dockerfile stage built (--target); unset: the last stage, and a key that never mentions it. */
  target?: string;
}

export interface ContentKey {
  /** Full sha256 over everything below. */
  key: string;
  files: number;
  /** The context entries (for tests and --verbose). */
  entries: ContextEntry[];
}

/** Bumped when the key's recipe changes, so old content tags are not trusted across versions. */
export const KEY_VERSION = 'todo-image-key/v1';

/**
 * sha256 over the build context the Dockerfile sees (its ignore file applied), the Dockerfile and
 * ignore file themselves, the build arguments and the base images' ids. Same inputs, same key.
 */
export function contentKey(input: KeyInputs): ContentKey {
  const dockerfile = join(input.workspaceRoot, input.dockerfile);
  const context = join(input.workspaceRoot, input.context);
  if (!existsSync(dockerfile)) throw new OptionError(`Dockerfile not found: ${input.dockerfile}`, 'point --dockerfile at the image project\'s Dockerfile, or re-create it with `npx nx g chart`');
  const ignoreFile = ignoreFileFor(dockerfile, context);
  const patterns = ignoreFile ? parseIgnoreFile(readFileSync(ignoreFile, 'utf8')) : [];
  const entries = listContext(context, patterns);
  const lines = [
    KEY_VERSION,
    `platform ${process.arch}`,
    `dockerfile ${sha256(readFileSync(dockerfile))}`,
    `ignore ${ignoreFile ? `${relative(input.workspaceRoot, ignoreFile)} ${sha256(readFileSync(ignoreFile))}` : '-'}`,
    ...(input.target ? [`target ${input.target}`] : []),
    ...Object.keys(input.buildArgs).sort().map((k) => `arg ${k}=${input.buildArgs[k]}`),
    ...Object.keys(input.baseImageIds).sort().map((k) => `base ${k}=${input.baseImageIds[k]}`),
    ...entries.map((e) => `${e.kind} ${e.mode.toString(8)} ${e.digest} ${e.path}`),
  ];
  return { key: sha256(lines.join('\n')), files: entries.filter((e) => e.kind === 'f').length, entries };
}
