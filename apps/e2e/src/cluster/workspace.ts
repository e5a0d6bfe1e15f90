/**
 * What the cluster tests share: a temporary copy of the workspace (so generators and changed files
 * never touch the checkout) with node_modules linked, a state directory beside it, and the environment
 * a deploy in that copy runs with (a cluster name and ports of the test's own, its own kubeconfig).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../../..');
export const CACHE = process.env.TODO_CACHE_DIR ?? '/var/cache/todo-platform';
/** A command in the checkout (or `cwd`), its trimmed stdout; throws with its stderr on failure. */
export const sh = (cmd: string, args: string[], opts: { cwd?: string } = {}) =>
  execFileSync(cmd, args, { cwd: opts.cwd ?? WORKSPACE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 3_600_000 }).trim();
/** The last line of a script's output (the build scripts print their result there). */
export const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';
/** Output a test's kubectl may print (Node's default, 1 MiB, fails with ENOBUFS on a few pods' or Secrets' JSON). */
export const KUBECTL_OUTPUT_BYTES = 64 * 1024 * 1024;
/** kubectl's output of Helm's release Secrets, one line per revision: "<version> <status>". */
const RELEASE_LABELS = 'jsonpath={range .items[*]}{.metadata.labels.version} {.metadata.labels.status}{"\\n"}{end}';

/**
 * Helm's newest revision of the release `todo` and its status, read through `kubectl` (with `scope`, e.g.
 * a namespace). The Secrets' labels only: each Secret holds the whole chart, megabytes after a few revisions.
 */
export function releaseRevision(kubectl: (args: string[]) => string, scope: string[] = []): { revision: number; status: string } {
  const rows = kubectl([...scope, 'get', 'secret', '-l', 'owner=helm,name=todo', '-o', RELEASE_LABELS]).trim().split('\n');
  const [version, status] = rows.map((r) => r.split(' ')).sort((a, b) => Number(b[0]) - Number(a[0]))[0];
  return { revision: Number(version), status };
}

const EXCLUDE = ['node_modules', '.git', '.venv', '.next', '.nx', 'dist', 'tmp', 'reports', 'coverage', '.pytest_cache', '__pycache__', '.tools'];

/** A copy of the checkout under $TODO_CACHE_DIR/<prefix>-ws-*, and a state directory <prefix>-state-*. */
export function copyWorkspace(prefix: string): { ws: string; state: string } {
  mkdirSync(CACHE, { recursive: true });
  const state = mkdtempSync(join(CACHE, `${prefix}-state-`));
  const ws = mkdtempSync(join(CACHE, `${prefix}-ws-`));
  execFileSync('bash', ['-c', `tar -C "$1" ${EXCLUDE.map((e) => `--exclude='${e}'`).join(' ')} -cf - . | tar -C "$2" -xf -`, 'copy', WORKSPACE, ws]);
  symlinkSync(join(WORKSPACE, 'node_modules'), join(ws, 'node_modules'));
  if (existsSync(join(WORKSPACE, 'apps/frontend/node_modules'))) symlinkSync(join(WORKSPACE, 'apps/frontend/node_modules'), join(ws, 'apps/frontend/node_modules'));
  return { ws, state };
}

/** The environment of nx in the copy, for a kind cluster of the test's own. */
export function copyEnv(ws: string, state: string, cluster: string, ports: [number, number]): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_CACHE_DIRECTORY: join(ws, '.nx/cache'),
    KIND_CLUSTER_NAME: cluster,
    KIND_HTTP_PORT: String(ports[0]),
    KIND_HTTPS_PORT: String(ports[1]),
    KUBECONFIG: join(state, 'kubeconfig'),
    CLUSTER_STATE_DIR: join(state, 'clusters'),
    TOOLS_DIR: join(state, 'tools'), // stays empty: *_BIN or --offline provide the tools; nothing is downloaded
    // The deploy's local registry (the default for kind), one per test cluster: the suite removes it.
    KIND_REGISTRY_NAME: `${cluster}-registry`,
    KIND_REGISTRY_PORT: String(ports[0] + 1),
  };
}

/** A save as an editor makes it: `from` replaced by `to` in a file of the copy; throws when `from` is not there. */
export function editFile(ws: string, file: string, from: string | RegExp, to: string): void {
  const path = join(ws, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: ${from} not found`);
  writeFileSync(path, next);
}
