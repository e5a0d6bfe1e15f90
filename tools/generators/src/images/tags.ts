/** The tags docker-build gives an image: content-<key>, v<version>-<env>, the commit; never latest. */
import { OptionError } from '../platform/validate';

/** A Docker tag: 1-128 characters of [A-Za-z0-9_.-], not starting with "." or "-". */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function contentTag(key: string): string {
  return `content-${key.slice(0, 16)}`;
}

export function versionTag(version: string, environment: string): string {
  return `v${version.replace(/^v/, '').replace(/\+/g, '_')}-${environment}`;
}

export function checkTags(tags: string[]): void {
  for (const t of tags) {
    if (!TAG.test(t)) throw new OptionError(`"${t}" is not a valid Docker tag`, 'use 1-128 of A-Z a-z 0-9 _ . - , not starting with "." or "-"');
    if (t === 'latest') throw new OptionError('refusing to tag an image "latest"', 'images are addressed by version, commit and content tags');
  }
}
