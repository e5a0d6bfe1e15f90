/**
 * `deploy-<env> --offline` (or TODO_OFFLINE=1): for machines that reach package registries but no
 * container registry. Builds or reuses the stand-ins the tests use, then the deploy runs exactly as
 * the tests run it:
 *
 *   KIND_NODE_IMAGE   the offline kind node image       tools/offline-kind/scripts/build-node.sh
 *   TRAEFIK_IMAGE     its Traefik build                 offline-kind.local/traefik:<TRAEFIK_VERSION>
 *   METRICS_SERVER_IMAGE  metrics-server, built apart    tools/offline-kind/scripts/build-images.sh metrics-server
 *                     (and KIND_LOAD_IMAGES, unless set: cluster-up loads it into the nodes)
 *   KIND_BIN/HELM_BIN kind, Helm 3 from the Go proxy    scripts/go-tool.sh kind|helm3
 *   KUBECTL_BIN       kubectl of the offline node       tools/offline-kind/scripts/build-go.sh kubernetes
 *   TODO_BASE_IMAGES  Debian-based Python/Node bases    tools/base-images/scripts/build.sh
 *   KIND_REGISTRY_IMAGE the kind cluster's local registry tools/cluster/scripts/registry-image.sh (Distribution v3)
 *   a values file     the PostgreSQL stand-in           dist/deploy/offline-values.yaml
 *
 * A variable already set wins (the documented overrides). Nothing probes a registry: the user says
 * the machine is offline. Each piece prints what it did and its time; a cold machine gets an estimate.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterError, streamAndCapture } from '@todo/cluster';
import { recipesKey, reusable, storeResolution } from './reuse';

export const OFFLINE_VARIABLES = ['KIND_NODE_IMAGE', 'TRAEFIK_IMAGE', 'METRICS_SERVER_IMAGE', 'KIND_BIN', 'HELM_BIN', 'KUBECTL_BIN', 'TODO_BASE_IMAGES', 'KIND_REGISTRY_IMAGE'] as const;

/** --offline, else TODO_OFFLINE=1/true/yes. */
export function offlineRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  return ['1', 'true', 'yes'].includes((env.TODO_OFFLINE ?? '').toLowerCase());
}

const cacheDir = (env: NodeJS.ProcessEnv) => env.TODO_CACHE_DIR || '/var/cache/todo-platform';

/** What a cold machine is in for, or undefined when the caches are warm. */
export function firstRunEstimate(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = join(cacheDir(env), 'offline-kind', 'bin');
  const warm = existsSync(bin) && readdirSync(bin).some((d) => d.startsWith('kubernetes-'));
  if (warm) return undefined;
  return (
    `first run on this machine: about 20-25 minutes (Kubernetes, containerd, etcd, CoreDNS and Traefik are built ` +
    `from the Go module proxy, the node and base images from Debian packages; 19 min measured on 2 cores). ` +
    `Everything is cached in ${cacheDir(env)}: later runs take seconds.`
  );
}

export interface StandIns {
  /** The variables set for this deploy (only those that were not set already). */
  set: Record<string, string>;
  /** The values file with the PostgreSQL stand-in, to go before the user's --values. */
  valuesFile: string;
}

type Log = (line: string) => void;

/** Runs a build script with its progress (stderr) streamed to the terminal; returns its last stdout line (its result). */
async function script(root: string, piece: string, args: string[], log: Log, i: number, n: number): Promise<string> {
  const t0 = Date.now();
  log(`offline [${i}/${n}] ${piece}: bash ${args.join(' ')}`);
  const r = await streamAndCapture('bash', args, { cwd: root, onLine: (line, from) => from === 'stderr' && process.stderr.write(`${line}\n`) });
  const out = r.stdout.trim().split('\n').filter(Boolean).pop() ?? '';
  if (r.status !== 0 || !out)
    throw new ClusterError(
      `offline: ${piece}`,
      `\`bash ${args.join(' ')}\` failed (exit ${r.status}; its output is above)`,
      'the offline stand-ins are built from package registries (the Go module proxy, Debian mirrors) and need Docker with the runtime wrapper of .ci/start-docker.sh; see tools/offline-kind/README.md and docs/troubleshooting.md',
    );
  log(`offline [${i}/${n}] ${piece}: ${out} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return out;
}

/** Builds or reuses every stand-in not given by a variable, and exports them into `env`. */
export async function prepareOffline(root: string, log: Log = console.log, env: NodeJS.ProcessEnv = process.env): Promise<StandIns> {
  const set: Record<string, string> = {};
  // The stand-ins given by variables are part of the key: a resolution is reused only with the same ones
  // (the benchmark and the e2e suites give some; a variable given once must not stick to later runs).
  const given = Object.fromEntries(OFFLINE_VARIABLES.filter((k) => env[k]).map((k) => [k, env[k]!]));
  const key = recipesKey(root, cacheDir(env), given);
  const hit = reusable(root, key, env.DOCKER || 'docker');
  if (hit) {
    for (const k of OFFLINE_VARIABLES) if (!(k in given)) env[k] = set[k] = hit[k];
    loadIntoNodes(env);
    log(`offline: reusing the stand-ins resolved before (recipes${Object.keys(given).length ? ' and given variables' : ''} unchanged; images and tools present): ${hit.KIND_NODE_IMAGE}, ${hit.POSTGRES_IMAGE}`);
    return { set, valuesFile: postgresValues(root, hit.POSTGRES_IMAGE) };
  }
  const give = async (k: (typeof OFFLINE_VARIABLES)[number], value: () => string | Promise<string>) => {
    if (env[k]) return log(`offline: ${k} given: ${env[k]}`);
    env[k] = set[k] = await value();
  };
  const estimate = firstRunEstimate(env);
  log(`offline: building or reusing the stand-ins the tests use${estimate ? `; ${estimate}` : ' (cached: seconds)'}`);
  const n = 8;
  await give('KIND_NODE_IMAGE', () => script(root, 'kind node image', ['tools/offline-kind/scripts/build-node.sh'], log, 1, n));
  await give('TRAEFIK_IMAGE', () => {
    const v = /^TRAEFIK_VERSION=([^\s#]+)/m.exec(readFileSync(join(root, 'tools/offline-kind/versions.env'), 'utf8'))?.[1];
    if (!v) throw new ClusterError('offline: traefik', 'tools/offline-kind/versions.env has no TRAEFIK_VERSION', 'restore tools/offline-kind/versions.env from git');
    return `offline-kind.local/traefik:${v}`; // built with the node image
  });
  await give('METRICS_SERVER_IMAGE', () => script(root, 'metrics-server image', ['tools/offline-kind/scripts/build-images.sh', 'metrics-server'], log, 2, n));
  loadIntoNodes(env);
  await give('KIND_BIN', () => script(root, 'kind', ['scripts/go-tool.sh', 'kind'], log, 3, n));
  await give('HELM_BIN', () => script(root, 'helm', ['scripts/go-tool.sh', 'helm3'], log, 4, n));
  await give('KUBECTL_BIN', async () => `${await script(root, 'kubectl', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes'], log, 5, n)}/kubectl`);
  await give('TODO_BASE_IMAGES', async () => {
    await script(root, 'base images', ['tools/base-images/scripts/build.sh'], log, 6, n);
    return join(root, 'dist/base-images/images.json');
  });
  await give('KIND_REGISTRY_IMAGE', () => script(root, 'local registry', ['tools/cluster/scripts/registry-image.sh'], log, 7, n));
  const images = JSON.parse(readFileSync(env.TODO_BASE_IMAGES!, 'utf8')) as { postgres?: { IMAGE?: string } };
  const pg = images.postgres?.IMAGE;
  if (!pg) throw new ClusterError('offline: postgres', `${env.TODO_BASE_IMAGES} names no postgres.IMAGE`, 'npx nx run base-images:build writes it (dist/base-images/images.json)');
  const valuesFile = postgresValues(root, pg);
  log(`offline [8/${n}] postgres stand-in: ${pg} (values: ${valuesFile})`);
  storeResolution(root, key, { ...given, ...set, POSTGRES_IMAGE: pg });
  return { set, valuesFile };
}

/** The metrics-server image is not in the node image: cluster-up copies it in (unless KIND_LOAD_IMAGES is set). */
function loadIntoNodes(env: NodeJS.ProcessEnv): void {
  if (!env.KIND_LOAD_IMAGES && env.METRICS_SERVER_IMAGE) env.KIND_LOAD_IMAGES = env.METRICS_SERVER_IMAGE;
}

/** dist/deploy/offline-values.yaml: the chart's database image replaced by the local PostgreSQL stand-in. */
function postgresValues(root: string, pg: string): string {
  const at = pg.lastIndexOf(':');
  const dir = join(root, 'dist', 'deploy');
  mkdirSync(dir, { recursive: true });
  const valuesFile = join(dir, 'offline-values.yaml');
  writeFileSync(
    valuesFile,
    `# Written by deploy --offline: the PostgreSQL stand-in    from tools/base-images instead of the chart's postgres image.\n` +
      `database:\n  postgres:\n    image:\n      repository: ${pg.slice(0, at)}\n      tag: "${pg.slice(at + 1)}"\n`,
  );
  return valuesFile;
}
