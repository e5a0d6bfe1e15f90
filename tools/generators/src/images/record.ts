/** What docker-build leaves for downstream targets (kind load, Helm values, docker-run, scan): dist/images/<project>.json. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What docker-build leaves for downstream targets (kind load, Helm values): dist/images/<project>.json. */
export interface ImageRecord {
  project: string;
  /** Repository, e.g. todo-backend. */
  image: string;
  environment: string;
  /** The reference to use: <image>:<content tag>. */
  ref: string;
  id: string;
  tags: string[];
  contentTag: string;
  key: string;
  /** Bytes, as `docker image ls` counts them. */
  size: number;
  sizeHuman: string;
  /** False when the image was already in the daemon and nothing was built. */
  built: boolean;
  buildArgs: Record<string, string>;
  baseImages: Record<string, { ref: string; id: string }>;
  recordedAt: string;
}

export function recordPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist/images', `${project}.json`);
}

export function writeRecord(workspaceRoot: string, record: ImageRecord): string {
  const path = recordPath(workspaceRoot, record.project);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

export function readRecord(workspaceRoot: string, project: string): ImageRecord | undefined {
  const path = recordPath(workspaceRoot, project);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ImageRecord;
}

/** Size the way `docker image ls` shows it (decimal units). */
export function humanSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)}GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)}MB`;
  return `${(bytes / 1e3).toFixed(1)}kB`;
}
