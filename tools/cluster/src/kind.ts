/** cluster-up / cluster-down / cluster-status for kind. Each external step goes through a Runner, so tests can record it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureEncryptionConfig, clusterStateDir, removeClusterState } from './encryption';
import { ClusterError, clusterMissing } from './errors';
import { must, Runner } from './exec';
import { HttpTarget, httpStatus, ingressManifests, waitForIngress } from './ingress';
import { kindConfigYaml } from './kind-config';
import { HostFacts, readHost } from './host';
import { imagesToLoad, METRICS_SERVER, metricsApi, metricsServerManifest } from './metrics';
import { kindCreateFailed, NodeLog } from './node-boot';
import { checkDocker, checkHostRoom, checkPorts } from './preflight';
import { containerdConfigVersion, hostsToml, localRegistryHostingConfigMap, nodeHostsCommands, registryDockerCommands, registryOptions } from './registry';
import { versions } from './versions';

export interface KindOptions {
  name: string;
  image: string;
  httpPort: number;
  httpsPort: number;
  listenAddress: string;
  registry: boolean;
  workers: number;
  /** kubeconfig file to write/use; undefined = kind's default (KUBECONFIG or ~/.kube/config) */
  kubeconfig?: string;
}

export interface Tools {
  kind: string;
  kubectl: string;
  docker: string;
}

export function kindOptions(name: string, env: NodeJS.ProcessEnv = process.env, flags: Partial<KindOptions> = {}): KindOptions {
  const bool = (v?: string) => v === '1' || v === 'true' || v === 'yes';
  return {
    name,
    image: flags.image ?? (env.KIND_NODE_IMAGE || versions.kindNodeImage),
    httpPort: flags.httpPort ?? Number(env.KIND_HTTP_PORT || 80),
    httpsPort: flags.httpsPort ?? Number(env.KIND_HTTPS_PORT || 443),
    listenAddress: flags.listenAddress ?? (env.CLUSTER_LISTEN_ADDRESS || '127.0.0.1'),
    registry: flags.registry ?? bool(env.KIND_REGISTRY),
    workers: flags.workers ?? Number(env.KIND_WORKERS || 0),
    kubeconfig: flags.kubeconfig ?? (env.CLUSTER_KUBECONFIG || undefined),
  };
}

type Log = (m: string) => void;

export function kindClusters(runner: Runner, t: Tools): string[] {
  const out = must(runner, 'kind get clusters', 'check that Docker runs and `kind get clusters` works', t.kind, ['get', 'clusters']);
  return out.split('\n').map((s) => s.trim()).filter(Boolean);
}

function kubectlArgs(o: KindOptions, args: string[]): string[] {
  return [...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : []), '--context', `kind-${o.name}`, ...args];
}

/** `probe` asks the ingress once (httpStatus), `host` reads the machine's limits and load (readHost); tests give stand-ins. */
export async function kindUp(o: KindOptions, t: Tools, runner: Runner, log: Log, probe: (t: HttpTarget) => Promise<number> = httpStatus, host: () => HostFacts = readHost): Promise<void> {
  const docker = checkDocker(runner, t.docker);
  const kc = o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : [];
  if (kindClusters(runner, t).includes(o.name)) {
    log(`kind cluster "${o.name}" exists; reusing it (nx run cluster:cluster-down first to recreate it)`);
    must(runner, 'kind export kubeconfig', 'nx run cluster:cluster-down, then cluster-up', t.kind, ['export', 'kubeconfig', '--name', o.name, ...kc]);
  } else {
    await checkPorts(
      [
        { port: o.httpPort, envVar: 'KIND_HTTP_PORT' },
        { port: o.httpsPort, envVar: 'KIND_HTTPS_PORT' },
      ],
      o.listenAddress,
    );
    const enc = ensureEncryptionConfig(o.name);
    log(enc.created ? `generated the Secret encryption key: ${enc.file} (0600)` : `using the existing Secret encryption key: ${enc.file}`);
    const cfgFile = join(clusterStateDir(o.name), 'kind-config.yaml');
    mkdirSync(clusterStateDir(o.name), { recursive: true, mode: 0o700 });
    const ccv = o.registry ? nodeContainerdConfigVersion(o.image, t, runner) : 2;
    writeFileSync(cfgFile, kindConfigYaml({ ...o, encryptionDir: enc.dir, containerdConfigVersion: ccv }));
    // What the new node takes from the host (inotify, threads, memory) is checked where the limits are
    // this machine's: Docker Desktop's nodes run in its VM, whose limits are not ours to read.
    if (docker.sameKernel) for (const note of checkHostRoom(host(), kindNodeCount(runner, t), 1 + o.workers)) log(note);
    log(`creating kind cluster "${o.name}" from ${o.image} (config: ${cfgFile})`);
    // --retain: a node that fails stays, so its log tells why (kindCreateFailed); we delete it after.
    // No --wait: the node's Ready (its CNI up, 8 s or more) is waited for below, after the image loads,
    // the registry and the manifests, which need only the API server and containerd.
    const created = runner(t.kind, ['create', 'cluster', '--config', cfgFile, '--image', o.image, '--retain', ...kc], {
      // kind's own step lines ("✓ Ensuring node image", "Starting control-plane") stream as they come.
      timeoutMs: 900_000,
      inherit: true,
    });
    if (created.status !== 0) {
      if (created.status === 127) throw new ClusterError('kind create cluster', `\`${t.kind}\` could not run: ${created.stderr}`, 'nx run cluster:tools, or set KIND_BIN');
      throw explainCreateFailure(o, t, runner, log, host);
    }
  }
  const k = (step: string, fix: string, args: string[], input?: string, inherit?: boolean) => must(runner, step, fix, t.kubectl, kubectlArgs(o, args), { input, timeoutMs: 300_000, inherit });

  // Images the nodes cannot pull (offline: the metrics-server built from the Go module proxy); kind skips
  // an image a node already has.
  for (const image of imagesToLoad()) {
    must(runner, `kind load ${image}`, `docker image inspect ${image} (KIND_LOAD_IMAGES names images of the local Docker daemon)`, t.kind, ['load', 'docker-image', image, '--name', o.name], { timeoutMs: 300_000 });
  }
  if (o.registry) setUpRegistry(o, t, runner, log, k);

  const ing = ingressManifests();
  log(`installing the ingress controller (${ing.deployments.join(', ')})`);
  k('ingress: apply', 'check INGRESS_MANIFESTS / TRAEFIK_IMAGE; `kubectl get events -A` shows what failed', ['apply', '-f', '-'], ing.yaml);
  // The metrics API (kubectl top, the HPA, status-<env>). Not waited for: it answers ~20 s later, after its
  // first scrape of the kubelets, and nothing in cluster-up needs it; cluster-status reports it.
  log(`installing metrics-server (${METRICS_SERVER.namespace}/${METRICS_SERVER.deployment})`);
  k('metrics-server: apply', 'check METRICS_SERVER_IMAGE; `kubectl -n kube-system describe deployment/metrics-server` shows what failed', ['apply', '-f', '-'], metricsServerManifest());
  // What kind create --wait would have waited for, now that the work above overlapped it.
  k('wait for the nodes to be Ready', `the nodes' kubelet or CNI did not come up: \`kubectl describe nodes\`, \`docker logs ${o.name}-control-plane\`; nx run cluster:cluster-down, then cluster-up again`, ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=180s'], undefined, true);
  for (const d of ing.deployments) {
    const [ns, name] = d.split('/');
    k(`ingress: wait for ${d}`, `kubectl -n ${ns} describe deployment/${name}; ImagePullBackOff means the image is unreachable: set TRAEFIK_IMAGE, or on a machine without a container registry npx nx run todo:deploy-local --offline (docs/troubleshooting.md)`, ['-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=180s'], undefined, true);
  }
  // kubectl's own progress lines ("Waiting for deployment ... 0 of 1 updated replicas are available") stream.
  k('wait for CoreDNS', 'kubectl -n kube-system describe deployment/coredns', ['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s'], undefined, true);
  // Asked where a user would ask: the listen address, or loopback when it listens on every address;
  // with a Host no route matches (Traefik's 404 is an answer).
  const address = ['0.0.0.0', '::'].includes(o.listenAddress) ? '127.0.0.1' : o.listenAddress;
  await waitForIngress({ address, port: o.httpPort, path: '/', host: 'cluster-up.localhost' }, probe);
  log(`cluster "${o.name}" ready: context kind-${o.name}${o.kubeconfig ? ` in ${o.kubeconfig}` : ''}; ingress on http://${o.listenAddress}:${o.httpPort}/ (http://<name>.localhost${o.httpPort === 80 ? '' : `:${o.httpPort}`}/)`);
}

/** Containers of every kind cluster on this Docker (kind labels its nodes). */
function kindNodeCount(runner: Runner, t: Tools): number {
  const r = runner(t.docker, ['ps', '-q', '--filter', 'label=io.x-k8s.kind.cluster']);
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : 0;
}

/** After a failed `kind create cluster --retain`: read the nodes' logs, save `kind export logs`, delete the half-made cluster, name the cause. */
function explainCreateFailure(o: KindOptions, t: Tools, runner: Runner, log: Log, host: () => HostFacts): ClusterError {
  const facts = host();
  const nodes: NodeLog[] = runner(t.kind, ['get', 'nodes', '--name', o.name])
    .stdout.split('\n')
    .filter(Boolean)
    .sort((a, b) => Number(b.endsWith('-control-plane')) - Number(a.endsWith('-control-plane')))
    .map((node) => {
      const r = runner(t.docker, ['logs', node], { timeoutMs: 60_000 });
      return { node, log: `${r.stdout}\n${r.stderr}` };
    });
  const dir = join(clusterStateDir(o.name), `logs-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const exported = nodes.length > 0 && runner(t.kind, ['export', 'logs', dir, '--name', o.name], { timeoutMs: 300_000 }).status === 0;
  log(`kind create cluster failed; deleting the half-made cluster "${o.name}"${exported ? ` (its logs: ${dir})` : ''}`);
  runner(t.kind, ['delete', 'cluster', '--name', o.name, ...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : [])], { timeoutMs: 300_000 });
  return kindCreateFailed(o.name, nodes, facts, exported ? dir : undefined, o.image);
}

/** KIND_CONTAINERD_CONFIG_VERSION, else read from the node image (docker pulls it if needed; kind would anyway). */
function nodeContainerdConfigVersion(image: string, t: Tools, runner: Runner): 2 | 3 {
  const forced = process.env.KIND_CONTAINERD_CONFIG_VERSION;
  if (forced === '2' || forced === '3') return Number(forced) as 2 | 3;
  const r = runner(t.docker, ['run', '--rm', '--entrypoint', 'cat', image, '/etc/containerd/config.toml'], { timeoutMs: 600_000 });
  return r.status === 0 ? containerdConfigVersion(r.stdout) : 2;
}

function setUpRegistry(o: KindOptions, t: Tools, runner: Runner, log: Log, k: (step: string, fix: string, args: string[], input?: string) => string): void {
  const r = registryOptions();
  const running = runner(t.docker, ['inspect', '-f', '{{.State.Running}}', r.name]).stdout.trim() === 'true';
  const nets = runner(t.docker, ['inspect', '-f', '{{json .NetworkSettings.Networks}}', r.name]).stdout;
  const cmds = registryDockerCommands(r, { running, connected: /"kind"/.test(nets) });
  for (const [, ...args] of cmds) {
    must(runner, `registry: docker ${args[0]}`, `the registry needs the image ${r.image} (KIND_REGISTRY_IMAGE) and a free 127.0.0.1:${r.hostPort} (KIND_REGISTRY_PORT)`, t.docker, args);
  }
  const nodes = must(runner, 'kind get nodes', '', t.kind, ['get', 'nodes', '--name', o.name]).split('\n').filter(Boolean);
  for (const [, ...args] of nodeHostsCommands(nodes, r)) {
    must(runner, 'registry: hosts.toml', 'recreate the cluster with --registry (containerd config_path is set at creation)', t.docker, args, { input: hostsToml(r) });
  }
  k('registry: local-registry-hosting', '', ['apply', '-f', '-'], localRegistryHostingConfigMap(r));
  log(`local registry: push to localhost:${r.hostPort}/<image>; pods use the same name`);
}

export function kindDown(o: KindOptions, t: Tools, runner: Runner, log: Log): void {
  checkDocker(runner, t.docker);
  if (!kindClusters(runner, t).includes(o.name)) {
    log(`kind cluster "${o.name}" does not exist; nothing to delete`);
  } else {
    must(runner, 'kind delete cluster', 'docker ps -a shows leftover node containers; remove them with docker rm -f', t.kind, ['delete', 'cluster', '--name', o.name, ...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : [])]);
    log(`deleted kind cluster "${o.name}"`);
  }
  removeClusterState(o.name);
}

export interface StatusCheck {
  check: string;
  ok: boolean;
  detail: string;
  /** reported, but a cluster without it is still healthy (the metrics API) */
  optional?: boolean;
}

export function kindStatus(o: KindOptions, t: Tools, runner: Runner): StatusCheck[] {
  checkDocker(runner, t.docker);
  if (!kindClusters(runner, t).includes(o.name)) throw clusterMissing(o.name, 'kind');
  const k = (args: string[]) => runner(t.kubectl, kubectlArgs(o, args), { timeoutMs: 60_000 });
  const checks: StatusCheck[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail: detail.trim() });

  const api = k(['get', '--raw', '/readyz']);
  add('API server', api.status === 0, api.status === 0 ? 'ready' : api.stderr);
  const nodes = k(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{" "}{end}']);
  add('nodes Ready', nodes.status === 0 && nodes.stdout.trim() !== '' && !/=(False|Unknown)/.test(nodes.stdout), nodes.stdout || nodes.stderr);
  const sc = k(['get', 'storageclass', '-o', 'jsonpath={range .items[?(@.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class=="true")]}{.metadata.name}{end}']);
  add('default StorageClass', sc.status === 0 && sc.stdout.trim() !== '', sc.stdout || sc.stderr || 'none');
  for (const d of ingressManifests().deployments) {
    const [ns, name] = d.split('/');
    const r = k(['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.status.readyReplicas}/{.spec.replicas}']);
    const [ready, want] = r.stdout.split('/');
    add(`ingress ${d}`, r.status === 0 && Number(ready) >= 1 && ready === want, r.status === 0 ? `${ready || 0}/${want} ready` : r.stderr);
  }
  const ic = k(['get', 'ingressclass', '-o', 'jsonpath={.items[*].metadata.name}']);
  add('IngressClass', ic.status === 0 && ic.stdout.trim() !== '', ic.stdout || ic.stderr || 'none');
  const metrics = metricsApi(t.kubectl, kubectlArgs(o, []), runner);
  checks.push({ check: 'metrics API', ok: metrics.available, detail: metrics.detail, optional: true });
  const apiArgs = k(['-n', 'kube-system', 'get', 'pods', '-l', 'component=kube-apiserver', '-o', 'jsonpath={.items[0].spec.containers[0].command}']);
  add('Secrets encrypted at rest', /encryption-provider-config/.test(apiArgs.stdout), /encryption-provider-config/.test(apiArgs.stdout) ? 'kube-apiserver --encryption-provider-config set' : 'not configured (cluster created without it: cluster-down + cluster-up)');
  return checks;
}

export function assertHealthy(name: string, checks: StatusCheck[]): void {
  const bad = checks.filter((c) => !c.ok && !c.optional);
  if (bad.length) {
    throw new ClusterError('cluster-status', `cluster "${name}" is not healthy: ${bad.map((c) => `${c.check} (${c.detail})`).join('; ')}`, 'see docs/troubleshooting.md; `nx run cluster:cluster-up` repairs the ingress, cluster-down + cluster-up starts over');
  }
}
