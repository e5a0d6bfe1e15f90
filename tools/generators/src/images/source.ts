/** Where an image comes from, for its labels: the commit (and whether the context is dirty), the source URL, the version. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner, capture } from '@todo/cluster';

export interface GitInfo {
  /** Short commit, "unknown" outside git. */
  commit: string;
  /** Full commit, for the revision label. */
  revision: string;
  /** Uncommitted changes in the given paths. */
  dirty: boolean;
}

export function gitInfo(workspaceRoot: string, paths: string[], runner: Runner = capture): GitInfo {
  const head = runner('git', ['-C', workspaceRoot, 'rev-parse', 'HEAD']);
  if (head.status !== 0) return { commit: 'unknown', revision: 'unknown', dirty: true };
  const revision = head.stdout.trim();
  // In chunks, so a large context stays under the argument-length limit.
  let dirty = false;
  for (let i = 0; i < paths.length && !dirty; i += 500) {
    const chunk = paths.slice(i, i + 500).map((p) => `:(literal)${p}`);
    const status = runner('git', ['-C', workspaceRoot, 'status', '--porcelain', '--untracked-files=all', '-z', '--', ...chunk]);
    dirty = status.status !== 0 || status.stdout.length > 0;
  }
  return { commit: revision.slice(0, 12), revision, dirty };
}

/** The source label: the origin remote's URL, else the root package.json's repository, else "unknown". */
export function sourceUrl(workspaceRoot: string, runner: Runner = capture): string {
  const origin = runner('git', ['-C', workspaceRoot, 'remote', 'get-url', 'origin']);
  if (origin.status === 0 && origin.stdout.trim()) return origin.stdout.trim();
  try {
    const repo = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')).repository;
    if (typeof repo === 'string' && repo) return repo;
    if (repo?.url) return String(repo.url);
  } catch {
    /* no package.json */
  }
  return 'unknown';
}

export function workspaceVersion(workspaceRoot: string): string {
  try {
    return String(JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}
