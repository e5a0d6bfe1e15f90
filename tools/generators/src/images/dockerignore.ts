/**
 * The build context Docker sends for a Dockerfile, computed the way BuildKit does, so the image's
 * content key covers exactly what the build can see: the files under the context root that the
 * Dockerfile's ignore file (`<Dockerfile>.dockerignore`, else `.dockerignore` at the context root)
 * does not exclude.
 *
 * Pattern semantics follow moby/patternmatcher: paths are relative, slash-separated and cleaned;
 * `*` is any run of non-slash characters, `?` one, `**` any number of directories (`**\/` may match
 * none); a pattern also excludes everything below a directory it matches; `!` re-includes; the last
 * matching pattern wins.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface IgnorePattern {
  text: string;
  negate: boolean;
  regexp: RegExp;
  /** The cleaned pattern (no "!", no leading or trailing slash). */
  cleaned: string;
}

function escapeRegExp(ch: string): string {
  return /[.+^${}()|[\]\\]/.test(ch) ? `\\${ch}` : ch;
}

/** Compiles one pattern like moby/patternmatcher does. */
export function compilePattern(raw: string): IgnorePattern | undefined {
  let text = raw.trim();
  if (!text || text.startsWith('#')) return undefined;
  let negate = false;
  if (text.startsWith('!')) {
    negate = true;
    text = text.slice(1).trim();
  }
  text = posix.normalize(text.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (text === '.' || text === '') return undefined;
  let re = '^';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '*') {
      if (text[i + 1] === '*') {
        i++;
        if (text[i + 1] === '/') i++;
        re += i + 1 >= text.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = text.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${text.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < text.length) {
      re += escapeRegExp(text[++i]);
    } else {
      re += escapeRegExp(ch);
    }
  }
  re += '$';
  return { text: raw.trim(), negate, regexp: new RegExp(re), cleaned: text };
}

export function parseIgnoreFile(text: string): IgnorePattern[] {
  return text.split(/\r?\n/).map(compilePattern).filter((p): p is IgnorePattern => p !== undefined);
}

/** True when the path (relative, slash-separated) is excluded from the context. */
export function isExcluded(path: string, patterns: IgnorePattern[]): boolean {
  const parts = path.split('/');
  let excluded = false;
  for (const p of patterns) {
    let match = p.regexp.test(path);
    // A pattern that matches a parent directory matches everything below it.
    for (let i = 1; !match && i < parts.length; i++) match = p.regexp.test(parts.slice(0, i).join('/'));
    if (match) excluded = !p.negate;
  }
  return excluded;
}

/**
 * Whether an excluded directory must still be walked: BuildKit (fsutil) only descends into it when a
 * re-include pattern lies below it (the pattern text starts with "<dir>/").
 */
function mayReinclude(dir: string, patterns: IgnorePattern[]): boolean {
  return patterns.some((p) => p.negate && `${p.cleaned}/`.startsWith(`${dir}/`));
}

export interface ContextEntry {
  path: string;
  /** "f" file, "d" directory, "l" symlink. */
  kind: 'f' | 'd' | 'l';
  /** Permission bits (COPY keeps them). */
  mode: number;
  /** sha256 of the content (files) or the link target (symlinks); "" for directories. */
  digest: string;
}

/** Every entry of the build context rooted at `root`, sorted by path. `visit` sees each directory read. */
export function listContext(root: string, patterns: IgnorePattern[], visit?: (dir: string) => void): ContextEntry[] {
  const out: ContextEntry[] = [];
  const walk = (rel: string) => {
    const abs = rel ? join(root, rel) : root;
    visit?.(rel);
    for (const name of readdirSync(abs).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path));
      const excluded = isExcluded(path, patterns);
      if (st.isDirectory()) {
        if (!excluded) out.push({ path, kind: 'd', mode: st.mode & 0o7777, digest: '' });
        if (!excluded || mayReinclude(path, patterns)) walk(path);
      } else if (!excluded) {
        if (st.isSymbolicLink()) {
          out.push({ path, kind: 'l', mode: 0o777, digest: sha256(readlinkSync(join(root, path))) });
        } else if (st.isFile()) {
          out.push({ path, kind: 'f', mode: st.mode & 0o7777, digest: sha256(readFileSync(join(root, path))) });
        }
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The ignore file BuildKit uses for a Dockerfile: `<Dockerfile>.dockerignore` beside it, else `<context>/.dockerignore`. */
export function ignoreFileFor(dockerfile: string, context: string): string | undefined {
  const specific = `${dockerfile}.dockerignore`;
  if (existsSync(specific)) return specific;
  const general = join(context, '.dockerignore');
  return existsSync(general) ? general : undefined;
}
