/**
 * What the image defaults and the pinned versions say, read from the files that own them: the
 * Dockerfile template defaults (libs/k8s-templates DEFAULT_BASE_IMAGES), .nvmrc, the root package.json,
 * tools/base-images/versions.env and apps/backend/requirements.txt.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BASE_IMAGES } from '@todo/k8s-templates';

export const WORKSPACE = join(__dirname, '..', '..', '..');
export const read = (path: string): string => readFileSync(join(WORKSPACE, path), 'utf8');

export interface OfficialBase {
  ref: string;
  name: string;
  version: string; // 3.13.18
  minor: string; // 3.13
  alpine: string; // 3.24
}

/** `python:3.13.18-alpine3.24` -> its parts; anything but an exact version on Alpine is refused. */
export function officialBase(ref: string): OfficialBase {
  const m = /^(python|node):((\d+\.\d+)\.\d+)-alpine(\d+\.\d+)$/.exec(ref);
  if (!m) throw new Error(`${ref}: expected <python|node>:<major.minor.patch>-alpine<x.y>, the form the defaults are pinned in`);
  return { ref, name: m[1], version: m[2], minor: m[3], alpine: m[4] };
}

export const python = officialBase(DEFAULT_BASE_IMAGES.fastapi);
export const node = officialBase(DEFAULT_BASE_IMAGES.nextjs);

/** KEY=value lines of tools/base-images/versions.env. */
export function baseImageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of read('tools/base-images/versions.env').split('\n')) {
    const m = /^([A-Z_]+)=(\S*)/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** `name==version` of every pinned requirement (comments, blank lines and options skipped). */
export function pinnedRequirements(path = 'apps/backend/requirements.txt'): { name: string; version: string }[] {
  return read(path)
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l && !l.startsWith('-'))
    .map((l) => {
      const m = /^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;]+)/.exec(l);
      if (!m) throw new Error(`${path}: "${l}" is not pinned with ==; the image installs exactly this file`);
      return { name: m[1], version: m[3] };
    });
}

/** PEP 503 normalised project name, as wheel file names carry it (with _ for -). */
export const wheelName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '_');
