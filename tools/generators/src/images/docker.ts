/**
 * The Docker CLI as the image executors use it, and what they know about images: the client binary,
 * `image inspect`, the content key of an image's inputs, the tags, and the JSON record that
 * downstream targets (kind load, Helm) read.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { Runner, capture } from '@todo/cluster';
import { ContextEntry, ignoreFileFor, listContext, parseIgnoreFile, sha256 } from './dockerignore';

/**
 * The docker client: $DOCKER, else Debian's /usr/bin/docker (BuildKit-capable; a newer client on PATH
 * may lack buildx), else `docker` on PATH.
 */
export function dockerBin(): string {
  if (process.env.DOCKER) return process.env.DOCKER;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export function dockerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_BUILDKIT: '1' };
}

export interface InspectedImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests?: string[] | null;
  Size: number;
  Created: string;
  Config: { Labels: Record<string, string> | null; User: string; ExposedPorts?: Record<string, unknown> };
}

/** `docker image inspect` of one reference; undefined when the daemon does not have it. Throws when Docker is unusable. */
export function inspectImage(ref: string, docker = dockerBin(), runner: Runner = capture): InspectedImage | undefined {
  const r = runner(docker, ['image', 'inspect', ref]);
  if (r.status === 0) return (JSON.parse(r.stdout) as InspectedImage[])[0];
  if (/no such image/i.test(r.stderr)) return undefined;
  throw new Error(dockerUnavailable(docker, r.stderr || r.stdout));
}

export function dockerUnavailable(docker: string, detail: string): string {
  return (
    `Docker is not usable (${docker}: ${detail.trim().split('\n')[0] || 'no output'}). ` +
    'Start the daemon (on the CI machines: bash .ci/start-docker.sh) or set DOCKER to a working client.'
  );
}

// ------------------------------------------------------------------ key

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
  if (!existsSync(dockerfile)) throw new Error(`Dockerfile not found: ${input.dockerfile}`);
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

// ------------------------------------------------------------------ tags

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
    if (!TAG.test(t)) throw new Error(`"${t}" is not a valid Docker tag`);
    if (t === 'latest') throw new Error('refusing to tag an image "latest": images are addressed by version, commit and content tags');
  }
}

// ------------------------------------------------------------------ git

export interface GitInfo {
  /** Short commit, "unknown" outside git. */
  commit: string;
  /** Full commit, for the revision label. */
  revision: string;
  /** Uncommitted changes in the given paths. */
  dirty: boolean;
}

export function gitInfo(workspaceRoot: string, paths: string[]): GitInfo {
  const head = capture('git', ['-C', workspaceRoot, 'rev-parse', 'HEAD']);
  if (head.status !== 0) return { commit: 'unknown', revision: 'unknown', dirty: true };
  const revision = head.stdout.trim();
  // In chunks, so a large context stays under the argument-length limit.
  let dirty = false;
  for (let i = 0; i < paths.length && !dirty; i += 500) {
    const chunk = paths.slice(i, i + 500).map((p) => `:(literal)${p}`);
    const status = capture('git', ['-C', workspaceRoot, 'status', '--porcelain', '--untracked-files=all', '-z', '--', ...chunk]);
    dirty = status.status !== 0 || status.stdout.length > 0;
  }
  return { commit: revision.slice(0, 12), revision, dirty };
}

/** The source label: the origin remote's URL, else the root package.json's repository, else "unknown". */
export function sourceUrl(workspaceRoot: string): string {
  const origin = capture('git', ['-C', workspaceRoot, 'remote', 'get-url', 'origin']);
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

// ------------------------------------------------------------------ record

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

// ------------------------------------------------------------------ base images

/** The build arguments of a local or mirrored base set, from $TODO_BASE_IMAGES (tools/base-images writes it). */
export function baseImagesFromEnv(workspaceRoot: string, flavor: string | undefined): Record<string, string> {
  const file = process.env.TODO_BASE_IMAGES;
  if (!file || !flavor) return {};
  const abs = isAbsolute(file) ? file : join(workspaceRoot, file);
  if (!existsSync(abs)) throw new Error(`TODO_BASE_IMAGES=${file}: no such file; run \`npx nx run base-images:build\` to create it, or unset TODO_BASE_IMAGES to use the official bases`);
  const all = JSON.parse(readFileSync(abs, 'utf8')) as Record<string, Record<string, string>>;
  const entry = all[flavor];
  if (!entry) throw new Error(`TODO_BASE_IMAGES=${file} has no "${flavor}" entry (it has: ${Object.keys(all).join(', ')})`);
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

/** containerd's names for a Docker reference (docker.io/library/ for official-style names). */
export function containerdNames(ref: string): string[] {
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return [ref];
  return ref.includes('/') ? [ref, `docker.io/${ref}`] : [ref, `docker.io/library/${ref}`];
}
