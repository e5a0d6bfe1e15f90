/*
 * Docker helpers for the container tests: the CLI (Debian's /usr/bin/docker, BuildKit-capable),
 * the image builds through the real Nx targets, health and shutdown timing. Every container,
 * network and volume a test creates carries a unique name and is removed afterwards.
 */
import { SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '../processes';

export const DOCKER = process.env.DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], options: SpawnSyncOptions = {}): Result {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function tryDocker(args: string[], options: SpawnSyncOptions = {}): Result {
  return run(DOCKER, args, { ...options, env: { ...process.env, DOCKER_BUILDKIT: '1', ...(options.env ?? {}) } });
}

/** Runs docker and returns stdout; throws with the command and its stderr on failure. */
export function docker(args: string[], options: SpawnSyncOptions = {}): string {
  const r = tryDocker(args, options);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** The tests need a working daemon: without one they fail (never skip) and say how to get one. */
export function requireDocker(): void {
  const r = tryDocker(['version', '--format', '{{.Server.Version}}']);
  if (r.status !== 0)
    throw new Error(
      `Docker is required for the container tests and is not usable (${DOCKER}: ${(r.stderr || r.stdout).trim().split('\n')[0]}). ` +
        'Install and start it (on the CI machines: bash .ci/start-docker.sh), or set DOCKER to a working client.',
    );
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * The base images: $TODO_BASE_IMAGES when it names a file, else the offline bases from
 * tools/base-images (built once, then found in the daemon in about a second).
 */
export function ensureBaseImages(): string {
  const given = process.env.TODO_BASE_IMAGES;
  if (given && existsSync(given)) return given;
  const r = run('bash', [join(workspaceRoot, 'tools/base-images/scripts/build.sh')], { cwd: workspaceRoot });
  if (r.status !== 0) throw new Error(`tools/base-images/scripts/build.sh failed:\n${r.stderr.slice(-4000)}`);
  const file = join(workspaceRoot, 'dist/base-images/images.json');
  process.env.TODO_BASE_IMAGES = file;
  return file;
}

export interface ImageRecord {
  project: string;
  image: string;
  ref: string;
  id: string;
  tags: string[];
  contentTag: string;
  size: number;
  built: boolean;
}

export function readImageRecord(project: string): ImageRecord {
  return JSON.parse(readFileSync(join(workspaceRoot, 'dist/images', `${project}.json`), 'utf8')) as ImageRecord;
}

/** `nx run <project>:docker-build` as a user runs it; returns its record and output. */
export function nxDockerBuild(project: string, extraArgs: string[] = []): { record: ImageRecord; output: string; ms: number } {
  const started = Date.now();
  const r = run('npx', ['nx', 'run', `${project}:docker-build`, '--output-style=stream', ...extraArgs], {
    cwd: workspaceRoot,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  const output = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`nx run ${project}:docker-build failed (${r.status}):\n${output.slice(-6000)}`);
  return { record: readImageRecord(project), output, ms: Date.now() - started };
}

export function inspect<T = Record<string, any>>(ref: string): T {
  return (JSON.parse(docker(['inspect', ref])) as T[])[0];
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits for the container's HEALTHCHECK to report healthy; fails early if it exits or turns unhealthy. */
export async function waitHealthy(container: string, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    const state = inspect<{ State: { Status: string; Health?: { Status: string } } }>(container).State;
    last = `${state.Status}/${state.Health?.Status ?? 'no healthcheck'}`;
    if (state.Health?.Status === 'healthy') return Date.now() - started;
    if (state.Status === 'exited' || state.Health?.Status === 'unhealthy') break;
    await sleep(500);
  }
  throw new Error(`${container} did not become healthy (last: ${last}); logs:\n${logs(container)}`);
}

export function logs(container: string): string {
  const r = tryDocker(['logs', '--tail', '80', container]);
  return `${r.stdout}${r.stderr}`.slice(-8000);
}

/** The 127.0.0.1 URL a published container port is reachable at. */
export function publishedUrl(container: string, port: number): string {
  const mapping = docker(['port', container, `${port}/tcp`]).split('\n')[0];
  const [host, hostPort] = [mapping.slice(0, mapping.lastIndexOf(':')), mapping.slice(mapping.lastIndexOf(':') + 1)];
  if (host !== '127.0.0.1') throw new Error(`${container}:${port} is published on ${host}, not 127.0.0.1 only`);
  return `http://127.0.0.1:${hostPort}`;
}

/** `docker stop` (SIGTERM, SIGKILL after 10 s): how long the container took and how it exited. */
export function stopTimed(container: string): { ms: number; exitCode: number; oomKilled: boolean } {
  const started = Date.now();
  docker(['stop', '--time', '10', container]);
  const ms = Date.now() - started;
  const state = inspect<{ State: { ExitCode: number; OOMKilled: boolean } }>(container).State;
  return { ms, exitCode: state.ExitCode, oomKilled: state.OOMKilled };
}

export function removeQuietly(kind: 'container' | 'network' | 'volume', ...names: string[]): void {
  for (const n of names.filter(Boolean)) tryDocker(kind === 'container' ? ['rm', '-f', '-v', n] : [kind, 'rm', n]);
}

export interface ExportedFs {
  dir: string;
  cleanup: () => void;
}

/** The image's flattened filesystem (docker create + docker export), unpacked into a temp dir. */
export async function exportFilesystem(ref: string): Promise<ExportedFs> {
  const id = docker(['create', ref]);
  const dir = mkdtempSync(join(tmpdir(), 'image-fs-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const exp = spawn(DOCKER, ['export', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '--exclude=dev/*', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      exp.stderr.on('data', (d) => (err += d));
      tar.stderr.on('data', (d) => (err += d));
      exp.stdout.pipe(tar.stdin);
      tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker export ${ref} | tar -x failed (${code}): ${err}`))));
      exp.on('error', reject);
      tar.on('error', reject);
    });
  } finally {
    tryDocker(['rm', id]);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
