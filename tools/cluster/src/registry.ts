/**
 * The local registry for kind (cluster-up --registry / KIND_REGISTRY=true; deploy-<env> and dev-<env> ask
 * for it unless --localRegistry=false), the way kind's "local registry" guide sets it up:
 *   1. a registry:3 container `kind-registry` published on 127.0.0.1:<hostPort> (default 5001),
 *   2. containerd in every node reads /etc/containerd/certs.d (config_path, a containerdConfigPatch),
 *      and certs.d/localhost:<hostPort>/hosts.toml sends localhost:<hostPort>/* to http://kind-registry:5000,
 *   3. the container joins the "kind" Docker network so nodes reach it by name,
 *   4. the ConfigMap kube-public/local-registry-hosting (KEP-1755) tells tools where to push.
 * registry:3 cannot be pulled on machines without a container registry: `deploy-<env> --offline` and the
 * tests run the same registry (CNCF Distribution v3) built from the Go module proxy
 * (scripts/registry-image.sh) through KIND_REGISTRY_IMAGE, on the offline node (containerd config
 * version 3); the version-2 patch for stock kindest/node images is unit-tested only.
 */
import type { Runner } from './exec';
import { versions } from './versions';

export interface RegistryOptions {
  name: string;
  hostPort: number;
  image: string;
}

export function registryOptions(env: NodeJS.ProcessEnv = process.env): RegistryOptions {
  return {
    name: env.KIND_REGISTRY_NAME || versions.registry.name,
    hostPort: Number(env.KIND_REGISTRY_PORT || versions.registry.hostPort),
    image: env.KIND_REGISTRY_IMAGE || versions.registry.image,
  };
}

export const CERTS_DIR = '/etc/containerd/certs.d';

/**
 * containerdConfigPatches entry: containerd reads per-registry hosts.toml files from CERTS_DIR. The table
 * depends on the node's containerd config format: stock kindest/node images use "version = 2"
 * (still so in kind v0.33.0 images/base/files/etc/containerd/config.toml), the offline-kind node uses version 3.
 */
export function containerdConfigPatch(configVersion: 2 | 3 = 2): string {
  const table = configVersion === 3 ? 'plugins."io.containerd.cri.v1.images".registry' : 'plugins."io.containerd.grpc.v1.cri".registry';
  return `[${table}]\n  config_path = "${CERTS_DIR}"\n`;
}

/** The "version = N" of a containerd config.toml (1 and 2 both use the v2 table names; absent = 2 for kind). */
export function containerdConfigVersion(configToml: string): 2 | 3 {
  const m = /^\s*version\s*=\s*(\d+)/m.exec(configToml);
  return m && Number(m[1]) >= 3 ? 3 : 2;
}

export function hostsTomlPath(o: RegistryOptions): string {
  return `${CERTS_DIR}/localhost:${o.hostPort}/hosts.toml`;
}

export function hostsToml(o: RegistryOptions): string {
  return `[host."http://${o.name}:5000"]\n`;
}

export function localRegistryHostingConfigMap(o: RegistryOptions): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: local-registry-hosting',
    '  namespace: kube-public',
    'data:',
    '  localRegistryHosting.v1: |',
    `    host: "localhost:${o.hostPort}"`,
    '    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"',
    '',
  ].join('\n');
}

/** docker commands, in order; `running` = the registry container already runs, `connected` = it is on the kind network. */
export function registryDockerCommands(o: RegistryOptions, state: { running: boolean; connected: boolean }): string[][] {
  const cmds: string[][] = [];
  if (!state.running) {
    cmds.push(['docker', 'run', '-d', '--restart=always', '-p', `127.0.0.1:${o.hostPort}:5000`, '--network', 'bridge', '--name', o.name, o.image]);
  }
  if (!state.connected) cmds.push(['docker', 'network', 'connect', 'kind', o.name]);
  return cmds;
}

/** Per node: write hosts.toml (the node runs containerd, which rereads certs.d on each pull). */
export function nodeHostsCommands(nodes: string[], o: RegistryOptions): string[][] {
  const dir = hostsTomlPath(o).replace(/\/hosts\.toml$/, '');
  return nodes.flatMap((n) => [
    ['docker', 'exec', n, 'mkdir', '-p', dir],
    ['docker', 'exec', '-i', n, 'cp', '/dev/stdin', hostsTomlPath(o)],
  ]);
}

/**
 * What a kind cluster's local registry lacks, from one `docker inspect` and one `docker exec` per node:
 *   'config-path'  a node's containerd has no config_path (the cluster was created without the registry;
 *                  only a new cluster gets it): images must go by `kind load`
 *   'container'    the registry container is not running or not on the kind network: cluster-up repairs it
 *   'hosts'        a node lacks hosts.toml for localhost:<port>: cluster-up repairs it
 *   undefined      nodes pull localhost:<port>/* from the registry
 */
export function registryGap(o: RegistryOptions, nodes: string[], docker: string, runner: Runner): 'config-path' | 'container' | 'hosts' | undefined {
  for (const node of nodes) {
    const r = runner(docker, ['exec', node, 'cat', '/etc/containerd/config.toml', hostsTomlPath(o)]);
    if (!r.stdout.includes(`config_path = "${CERTS_DIR}"`)) return 'config-path';
    if (r.status !== 0 || !r.stdout.includes(hostsToml(o).trim())) return 'hosts';
  }
  const c = runner(docker, ['inspect', '-f', '{{.State.Running}} {{json .NetworkSettings.Networks}}', o.name]);
  if (c.status !== 0 || !c.stdout.startsWith('true') || !/"kind"/.test(c.stdout)) return 'container';
  return undefined;
}
