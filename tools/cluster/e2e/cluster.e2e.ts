/*
 * Real kind cluster through the user-facing commands (nx run cluster:e2e; minutes).
 *
 * Uses the offline node image (KIND_NODE_IMAGE from offline-kind's build) and its Traefik build
 * (TRAEFIK_IMAGE) with our own manifests, a distinct cluster name and host ports 18080/18443 so it
 * never collides with offline-kind's `todo-test` cluster or a user's `todo` cluster.
 * Checks: cluster-up (and a second, idempotent cluster-up), cluster-status healthy, Traefik answering on
 * the mapped port, the encryption key file 0600, a Secret stored encrypted in etcd (read with etcdctl
 * inside the etcd static pod), the clear errors for a busy port and a missing cluster, cluster-down.
 * The local registry (--registry) runs a stand-in for registry:3 built from the Go module proxy
 * (scripts/registry-image.sh, KIND_REGISTRY_IMAGE) on 127.0.0.1:15001: an image pushed there runs in a pod.
 * The metrics API answers (metrics-server, built offline and loaded into the node by cluster-up).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';

const ws = join(__dirname, '..', '..', '..');
const cache = process.env.TODO_CACHE_DIR ?? '/var/cache/todo-platform';
const name = 'todo-cluster-e2e';
const httpPort = 18080;
const registryName = `${name}-registry`;
const registryPort = 15001;
const pushed = `localhost:${registryPort}/e2e/pause:${randomBytes(3).toString('hex')}`;
const stateDir = mkdtempSync(join(cache, 'cluster-e2e-state-'));
const kubeconfig = join(stateDir, 'kubeconfig');
const timings: Record<string, number> = {};

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd: ws, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 }).trim();

let env: NodeJS.ProcessEnv;
let kubectl = '';
let kind = '';

function cli(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const t = Date.now();
  const r = spawnSync('node', ['-r', '@swc-node/register', 'tools/cluster/src/cli.ts', ...args], {
    cwd: ws,
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 900_000,
  });
  let key = args.join(' ');
  while (key in timings) key += "'";
  timings[key] = (Date.now() - t) / 1000;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const k = (args: string[], input?: string) =>
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, '--context', `kind-${name}`, ...args], { encoding: 'latin1', input, timeout: 120_000 });

beforeAll(() => {
  sh('bash', ['.ci/start-docker.sh']);
  const image = sh('bash', ['tools/offline-kind/scripts/build-node.sh']).split('\n').pop()!;
  kind = sh('bash', ['scripts/go-tool.sh', 'kind']);
  kubectl = join(sh('bash', ['tools/offline-kind/scripts/build-go.sh', 'kubernetes']).split('\n').pop()!, 'kubectl');
  const traefik = /^TRAEFIK_VERSION=(\S+)/m.exec(readFileSync(join(ws, 'tools/offline-kind/versions.env'), 'utf8'))![1];
  // metrics-server is not in the node image: built apart, and cluster-up loads it into the node.
  const metricsServer = sh('bash', ['tools/offline-kind/scripts/build-images.sh', 'metrics-server']).split('\n').pop()!;
  env = {
    ...process.env,
    KIND_CLUSTER_NAME: name,
    KIND_NODE_IMAGE: image,
    KIND_BIN: kind,
    KUBECTL_BIN: kubectl,
    TRAEFIK_IMAGE: `offline-kind.local/traefik:${traefik}`,
    METRICS_SERVER_IMAGE: metricsServer,
    KIND_LOAD_IMAGES: metricsServer,
    KIND_HTTP_PORT: String(httpPort),
    KIND_HTTPS_PORT: '18443',
    CLUSTER_KUBECONFIG: kubeconfig,
    CLUSTER_STATE_DIR: stateDir,
    TOOLS_DIR: join(stateDir, 'tools'), // never used: KIND_BIN/KUBECTL_BIN win; nothing is downloaded
    KIND_REGISTRY: 'true',
    KIND_REGISTRY_NAME: registryName,
    KIND_REGISTRY_PORT: String(registryPort),
    KIND_REGISTRY_IMAGE: sh('bash', ['tools/cluster/scripts/registry-image.sh']).split('\n').pop()!,
  };
  spawnSync('docker', ['rm', '-f', registryName]);
  spawnSync(kind, ['delete', 'cluster', '--name', name]); // a leftover from an aborted run
});

afterAll(() => {
  if (kind) spawnSync(kind, ['delete', 'cluster', '--name', name]);
  spawnSync('docker', ['rm', '-f', registryName]);
  spawnSync('docker', ['rmi', pushed]);
  rmSync(stateDir, { recursive: true, force: true });
  process.stderr.write(`cluster e2e timings (s): ${JSON.stringify(timings)}\n`);
});

test('cluster-status names the missing cluster and the fix', () => {
  const r = cli(['status']);
  expect(r.status).toBe(1);
  expect(r.out).toContain(`kind cluster "${name}" does not exist`);
  expect(r.out).toContain('nx run cluster:cluster-up');
});

test('cluster-up refuses a busy ingress port before creating anything', async () => {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(18081, '127.0.0.1', r));
  try {
    const r = cli(['up'], { KIND_CLUSTER_NAME: `${name}-busy`, KIND_HTTP_PORT: '18081' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('preflight: ports');
    expect(r.out).toContain('127.0.0.1:18081 is already in use');
    expect(r.out).toContain('KIND_HTTP_PORT=');
    expect(sh(kind, ['get', 'clusters'])).not.toContain(`${name}-busy`);
  } finally {
    srv.close();
  }
});

test('cluster-up creates the cluster with Traefik ready and a healthy status', () => {
  const r = cli(['up']);
  if (r.status !== 0) throw new Error(r.out);
  expect(r.out).toMatch(/ok\s+ingress traefik\/traefik\s+1\/1 ready/);
  expect(r.out).toMatch(/ok\s+default StorageClass\s+standard/);
  expect(r.out).toMatch(/ok\s+Secrets encrypted at rest/);
  const s = cli(['status']);
  expect(s.status).toBe(0);
  expect(s.out).not.toContain('FAIL');
});

test('the encryption key is kept 0600 outside the repo', () => {
  const f = join(stateDir, name, 'encryption', 'config.yaml');
  expect(statSync(f).mode & 0o777).toBe(0o600);
  expect(statSync(join(stateDir, name, 'encryption')).mode & 0o777).toBe(0o700);
  expect(readFileSync(f, 'utf8')).toMatch(/aescbc:\n\s+keys:\n\s+- name: key1\n\s+secret: \S{44}/);
});

test('a Secret is stored encrypted in etcd (k8s:enc:aescbc:v1:), not in plaintext', () => {
  const canary = `canary-${randomBytes(6).toString('hex')}`;
  const secret = `enc-test-${randomBytes(3).toString('hex')}`;
  k(['-n', 'default', 'create', 'secret', 'generic', secret, `--from-literal=value=${canary}`]);
  expect(Buffer.from(k(['-n', 'default', 'get', 'secret', secret, '-o', 'jsonpath={.data.value}']), 'base64').toString()).toBe(canary);
  const raw = k([
    '-n', 'kube-system', 'exec', `etcd-${name}-control-plane`, '--',
    'etcdctl', '--endpoints=https://127.0.0.1:2379', '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
    '--cert=/etc/kubernetes/pki/etcd/server.crt', '--key=/etc/kubernetes/pki/etcd/server.key',
    'get', `/registry/secrets/default/${secret}`, '--print-value-only',
  ]);
  expect(raw.startsWith('k8s:enc:aescbc:v1:key1:')).toBe(true);
  expect(raw).not.toContain(canary);
});

test('Traefik answers on the mapped host port', async () => {
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path: '/', headers: { Host: 'nothing.localhost' } }, (r) => {
      let body = '';
      r.on('data', (c) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  expect(res.status).toBe(404); // no Ingress yet: Traefik's own 404
  expect(res.body).toContain('404 page not found');
});

test('local registry: an image pushed to localhost:15001 runs in a pod; local-registry-hosting is published', () => {
  sh('docker', ['tag', 'registry.k8s.io/pause:3.10.1', pushed]);
  sh('docker', ['push', pushed]);
  const pod = `regpull-${randomBytes(3).toString('hex')}`;
  k(['-n', 'default', 'run', pod, `--image=${pushed}`, '--image-pull-policy=Always', '--restart=Never']);
  try {
    k(['-n', 'default', 'wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=120s']);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${k(['-n', 'default', 'describe', 'pod', pod])}`);
  }
  expect(k(['-n', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '-o', 'jsonpath={.data.localRegistryHosting\\.v1}'])).toContain(`host: "localhost:${registryPort}"`);
  k(['-n', 'default', 'delete', 'pod', pod, '--wait=false']);
});

test('the metrics API answers (metrics-server, loaded into the node by cluster-up): kubectl top, and cluster-status says ok', async () => {
  // Not waited for by cluster-up: it answers after its first scrape of the kubelets (15 s resolution).
  const t = Date.now();
  let top = '';
  while (Date.now() - t < 180_000) {
    const r = spawnSync(kubectl, ['--kubeconfig', kubeconfig, '--context', `kind-${name}`, 'top', 'nodes', '--no-headers'], { encoding: 'utf8', timeout: 60_000 });
    top = `${r.stdout}${r.stderr}`;
    if (r.status === 0) break;
    await new Promise((res) => setTimeout(res, 5_000));
  }
  timings['metrics API answering'] = (Date.now() - t) / 1000;
  expect(top).toMatch(new RegExp(`^${name}-control-plane\\s+\\d+m\\s+\\d+%\\s+\\d+Mi`, 'm'));
  expect(cli(['status']).out).toMatch(/ok\s+metrics API\s+metrics\.k8s\.io answers/);
});

test('the same cluster as an existing context (--cluster=context:<name>) answers; down refuses it', () => {
  const up = cli(['up', `--cluster=context:kind-${name}`], { KUBECONFIG: kubeconfig });
  if (up.status !== 0) throw new Error(up.out);
  expect(up.out).toContain(`context "kind-${name}" reachable`);
  const down = cli(['down', `--cluster=context:kind-${name}`], { KUBECONFIG: kubeconfig });
  expect(down.status).toBe(1);
  expect(down.out).toContain('did not create');
});

test('a second cluster-up reuses the cluster and keeps the key', () => {
  const f = join(stateDir, name, 'encryption', 'config.yaml');
  const before = readFileSync(f, 'utf8');
  const r = cli(['up']);
  if (r.status !== 0) throw new Error(r.out);
  expect(r.out).toContain('exists; reusing it');
  expect(readFileSync(f, 'utf8')).toBe(before);
});

test('cluster-down deletes the cluster and its key', () => {
  const r = cli(['down']);
  if (r.status !== 0) throw new Error(r.out);
  expect(sh(kind, ['get', 'clusters'])).not.toMatch(new RegExp(`^${name}$`, 'm'));
  expect(existsSync(join(stateDir, name))).toBe(false);
  expect(cli(['down']).status).toBe(0); // idempotent
});
