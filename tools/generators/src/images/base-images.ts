/**
 * The base images of a build: the Dockerfile's base image arguments and their defaults, and the local or
 * mirrored set $TODO_BASE_IMAGES names (tools/base-images writes it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ClusterError } from '@todo/cluster';

/** The build arguments of a local or mirrored base set, from $TODO_BASE_IMAGES (tools/base-images writes it). */
export function baseImagesFromEnv(workspaceRoot: string, flavor: string | undefined): Record<string, string> {
  const file = process.env.TODO_BASE_IMAGES;
  if (!file || !flavor) return {};
  const abs = isAbsolute(file) ? file : join(workspaceRoot, file);
  if (!existsSync(abs)) throw new ClusterError('base images', `TODO_BASE_IMAGES=${file}: no such file`, 'run `npx nx run base-images:build` to create it, or unset TODO_BASE_IMAGES to use the official bases');
  const all = JSON.parse(readFileSync(abs, 'utf8')) as Record<string, Record<string, string>>;
  const entry = all[flavor];
  if (!entry) throw new ClusterError('base images', `TODO_BASE_IMAGES=${file} has no "${flavor}" entry (it has: ${Object.keys(all).join(', ')})`, 'run `npx nx run base-images:build` to re-create it');
  return entry;
}

/** `ARG NAME=default` lines before the first FROM: the Dockerfile's base image arguments and their defaults. */
export function globalArgs(dockerfileText: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const line of dockerfileText.split('\n')) {
    if (/^\s*FROM\s/i.test(line)) break;
    const m = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$/i.exec(line);
    if (m) args[m[1]] = m[2] ?? '';
  }
  return args;
}
