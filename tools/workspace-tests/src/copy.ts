/**
 * Throwaway git copies of the workspace for testing `nx affected`: the tracked and untracked
 * (not ignored) files, node_modules hard-linked, one commit as the base. Nx runs in the copy without
 * the daemon and with its own cache and workspace data, so nothing leaks in from the real workspace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const WORKSPACE = resolve(__dirname, '../../..');

/** Image names in copies get this prefix, so tests never retag the workspace's own images. */
export const IMAGE_PREFIX = 'wstest-';

export interface Copy {
  root: string;
  env: NodeJS.ProcessEnv;
  /** The base commit. */
  base: string;
  git(...args: string[]): string;
  nx(args: string[], extraEnv?: NodeJS.ProcessEnv): { status: number; output: string };
  /** Apply edits (path relative to the root -> function of the old text), commit; returns the new HEAD. */
  commit(message: string, edits: Record<string, (old: string) => string>): string;
  /** Back to the base commit (hard), keeping ignored files such as the Nx cache. */
  resetToBase(): void;
  affected(head: string): string[];
  remove(): void;
}

function workspaceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE, encoding: 'utf8', maxBuffer: 64 << 20 });
  // Deleted-but-tracked files are listed too; copy only what is on disk.
  return out.split('\0').filter((f) => f && existsSync(join(WORKSPACE, f)));
}

/**
 * node_modules as a tree of hard links (fast, no extra space) rather than a symlink: Next.js'
 * Turbopack refuses a node_modules that resolves outside the workspace root. A symlink when hard
 * links are impossible (another filesystem).
 */
function linkNodeModules(path: string, root: string): void {
  const from = join(WORKSPACE, path);
  if (!existsSync(from)) return;
  if (spawnSync('cp', ['-al', from, join(root, path)]).status !== 0) {
    rmSync(join(root, path), { recursive: true, force: true });
    symlinkSync(from, join(root, path));
  }
}

export function createCopy(prefix = 'ws-affected-'): Copy {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const f of workspaceFiles()) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    cpSync(join(WORKSPACE, f), join(root, f), { dereference: false });
  }
  linkNodeModules('node_modules', root);
  // npm workspaces: apps/frontend may have its own node_modules (ignored, so not copied).
  linkNodeModules('apps/frontend/node_modules', root);
  // Image names of the copy's image projects get a prefix: a copy must not retag the workspace's images.
  for (const p of ['apps/frontend-image/project.json', 'apps/backend-image/project.json']) {
    const file = join(root, p);
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.targets['docker-build'].options.image = IMAGE_PREFIX + json.targets['docker-build'].options.image;
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_CACHE_DIRECTORY: join(root, '.nx/cache'),
    NX_WORKSPACE_DATA_DIRECTORY: join(root, '.nx/workspace-data'),
    NX_TUI: 'false',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    NX_SKIP_NX_CACHE: undefined,
    NEXT_TELEMETRY_DISABLED: '1',
    GIT_AUTHOR_NAME: 'workspace-tests',
    GIT_AUTHOR_EMAIL: 'workspace-tests@localhost',
    GIT_COMMITTER_NAME: 'workspace-tests',
    GIT_COMMITTER_EMAIL: 'workspace-tests@localhost',
    // Nx in the copy must not see the outer run's task context.
    NX_TASK_TARGET_PROJECT: undefined,
    NX_TASK_TARGET_TARGET: undefined,
    NX_TASK_HASH: undefined,
    NX_WORKSPACE_ROOT: undefined,
    NX_WORKSPACE_ROOT_PATH: undefined,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];

  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '--no-verify', '-m', 'base');
  const base = git('rev-parse', 'HEAD');

  const nx = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(join(WORKSPACE, 'node_modules/.bin/nx'), args, {
      cwd: root,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    // Plain text: under an outer Nx run the inner one would colour its summary lines.
    return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') };
  };

  return {
    root,
    env,
    base,
    git,
    nx,
    commit(message, edits) {
      for (const [path, edit] of Object.entries(edits)) {
        const file = join(root, path);
        writeFileSync(file, edit(existsSync(file) ? readFileSync(file, 'utf8') : ''));
      }
      git('add', '-A');
      git('commit', '-q', '--no-verify', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    resetToBase() {
      git('checkout', '-q', '--detach', base);
      git('reset', '-q', '--hard', base);
    },
    affected(head) {
      const r = nx(['show', 'projects', '--affected', `--base=${base}`, `--head=${head}`]);
      if (r.status !== 0) throw new Error(`nx show projects --affected failed:\n${r.output}`);
      return r.output
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[a-z0-9@/_.-]+$/i.test(l))
        .sort();
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
