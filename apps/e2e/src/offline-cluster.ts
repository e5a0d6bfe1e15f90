/*
 * What the real-cluster e2e suites share: the offline stand-ins of this machine (no container
 * registry: the offline kind node image and its Traefik, kind/kubectl/helm built from the Go proxy,
 * the local base images and the PostgreSQL stand-in) and a temporary copy of the workspace to run `nx`
 * in. (Retrying is @todo/test-utils' eventually.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../..');
export const CACHE = process.env.TODO_CACHE_DIR ?? '/var/cache/todo-platform';
const EXCLUDE = ['node_modules', '.git', '.venv', '.next', '.nx', 'dist', 'tmp', 'reports', 'coverage', '.pytest_cache', '__pycache__', '.tools'];

export const sh = (cmd: string, args: string[], opts: { cwd?: string } = {}) =>
  execFileSync(cmd, args, { cwd: opts.cwd ?? WORKSPACE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 }).trim();
export const lastLine = (s: string) => s.split('\n').pop()!;

export interface StandIns {
  node: string;
  traefik: string;
  kindBin: string;
  kubectlBin: string;
  helm3: string;
  helm4: string;
  /** dist/base-images/images.json of the checkout (TODO_BASE_IMAGES). */
  baseImages: string;
  /** The PostgreSQL stand-in image, repository:tag. */
  postgres: string;
}

/** Builds or finds every stand-in (cache hits on a warm machine); starts Docker first. */
export function offlineStandIns(): StandIns {
  sh('bash', ['.ci/start-docker.sh']);
  const node = lastLine(sh('bash', ['tools/offline-kind/scripts/build-node.sh']));
  const kindBin = lastLine(sh('bash', ['scripts/go-tool.sh', 'kind']));
  const kubectlBin = join(lastLine(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'])), 'kubectl');
  const helm3 = lastLine(sh('bash', ['scripts/go-tool.sh', 'helm3']));
  const helm4 = lastLine(sh('bash', ['scripts/go-tool.sh', 'helm4']));
  sh('bash', ['tools/base-images/scripts/build.sh']);
  const baseImages = join(WORKSPACE, 'dist/base-images/images.json');
  const postgres = (JSON.parse(readFileSync(baseImages, 'utf8')) as { postgres: { IMAGE: string } }).postgres.IMAGE;
  const traefik = `offline-kind.local/traefik:${/^TRAEFIK_VERSION=(\S+)/m.exec(readFileSync(join(WORKSPACE, 'tools/offline-kind/versions.env'), 'utf8'))![1]}`;
  return { node, traefik, kindBin, kubectlBin, helm3, helm4, baseImages, postgres };
}

/** A copy of the workspace (sources only; node_modules linked) and a state folder, under the cache. */
export function workspaceCopy(prefix: string): { ws: string; state: string } {
  mkdirSync(CACHE, { recursive: true });
  const state = mkdtempSync(join(CACHE, `${prefix}-state-`));
  const ws = mkdtempSync(join(CACHE, `${prefix}-ws-`));
  execFileSync('bash', ['-c', `tar -C "$1" ${EXCLUDE.map((e) => `--exclude='${e}'`).join(' ')} -cf - . | tar -C "$2" -xf -`, 'copy', WORKSPACE, ws]);
  symlinkSync(join(WORKSPACE, 'node_modules'), join(ws, 'node_modules'));
  if (existsSync(join(WORKSPACE, 'apps/frontend/node_modules'))) symlinkSync(join(WORKSPACE, 'apps/frontend/node_modules'), join(ws, 'apps/frontend/node_modules'));
  return { ws, state };
}

/** A values file giving the chart the PostgreSQL stand-in (plus `extra` YAML); returns its path. */
export function offlineValuesFile(dir: string, postgres: string, extra = ''): string {
  const [repository, tag] = [postgres.slice(0, postgres.lastIndexOf(':')), postgres.slice(postgres.lastIndexOf(':') + 1)];
  const file = join(dir, 'offline-values.yaml');
  writeFileSync(
    file,
    `# Offline stand-ins: PostgreSQL 15 from tools/base-images instead of postgres:18 from Docker Hub.\n` +
      `database:\n  postgres:\n    image:\n      repository: ${repository}\n      tag: "${tag}"\n${extra}`,
  );
  return file;
}

/** The environment `nx` runs with on a cluster of our own (name, ports, kubeconfig and state in `state`). */
export function clusterEnv(s: StandIns, cluster: { name: string; httpPort: number; httpsPort: number }, ws: string, state: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_CACHE_DIRECTORY: join(ws, '.nx/cache'),
    KIND_CLUSTER_NAME: cluster.name,
    KIND_HTTP_PORT: String(cluster.httpPort),
    KIND_HTTPS_PORT: String(cluster.httpsPort),
    KIND_NODE_IMAGE: s.node,
    TRAEFIK_IMAGE: s.traefik,
    KIND_BIN: s.kindBin,
    KUBECTL_BIN: s.kubectlBin,
    HELM_BIN: s.helm3,
    HELM4_BIN: s.helm4,
    KUBECONFIG: join(state, 'kubeconfig'),
    CLUSTER_STATE_DIR: join(state, 'clusters'),
    TOOLS_DIR: join(state, 'tools'), // never used: the *_BIN variables win; nothing is downloaded
    TODO_BASE_IMAGES: s.baseImages,
  };
  delete env.HELM;
  delete env.KUBECTL;
  return env;
}
