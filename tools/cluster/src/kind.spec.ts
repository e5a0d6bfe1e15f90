/* kind up/down/status with a recording Runner: the commands, their order, and the errors users see. */
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { release } from 'node:os';
import { ClusterError } from './errors';
import { RunResult, Runner } from './exec';
import type { HostFacts } from './host';
import type { HttpTarget } from './ingress';
import { assertHealthy, kindDown, kindOptions, kindStatus, kindUp } from './kind';
import { versions } from './versions';

const t = { kind: 'kind', kubectl: 'kubectl', docker: 'docker' };
let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cluster-kind-'));
  process.env.CLUSTER_STATE_DIR = dir;
});
afterEach(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

function recorder(answer: (cmd: string, args: string[]) => Partial<RunResult> | undefined) {
  const calls: string[] = [];
  const runner: Runner = (cmd, args, opts) => {
    calls.push([cmd, ...args].join(' ') + (opts?.input ? ' <stdin>' : ''));
    return { status: 0, stdout: '', stderr: '', ...(answer(cmd, args) ?? {}) };
  };
  return { calls, runner };
}

describe('kind options', () => {
  it('defaults to the pinned kindest/node image and 80/443; env overrides', () => {
    expect(versions.kindNodeImage).toMatch(/^kindest\/node:v1\.34\.\d+@sha256:[0-9a-f]{64}$/);
    expect(kindOptions('todo', {})).toEqual({ name: 'todo', image: versions.kindNodeImage, httpPort: 80, httpsPort: 443, listenAddress: '127.0.0.1', registry: false, workers: 0, kubeconfig: undefined });
    expect(kindOptions('x', { KIND_NODE_IMAGE: 'offline-kind.local/node:v1.34.4-k', KIND_HTTP_PORT: '18080', KIND_REGISTRY: 'true', CLUSTER_KUBECONFIG: '/k' })).toMatchObject({
      image: 'offline-kind.local/node:v1.34.4-k',
      httpPort: 18080,
      registry: true,
      kubeconfig: '/k',
    });
  });
});

describe('kindUp', () => {
  // The ingress's answer, asked after the waits (ingress.spec.ts tests the wait itself): Traefik's 404.
  const asked: string[] = [];
  const answered = async (t: HttpTarget) => (asked.push(`http://${t.address}:${t.port}${t.path} (Host ${t.host})`), 404);
  it('fails first on Docker not running, naming step, cause and fix', async () => {
    const { runner, calls } = recorder((cmd) => (cmd === 'docker' ? { status: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' } : undefined));
    const err = await kindUp(kindOptions('todo', {}), t, runner, () => undefined).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.format()).toContain('step "preflight: docker"');
    expect(err.cause).toContain('Is the docker daemon running?');
    expect(err.fix).toContain('start Docker');
    expect(calls).toHaveLength(1);
  });

  it('creates the cluster from its config, installs the ingress and waits for it', async () => {
    process.env.KIND_NODE_IMAGE = '';
    const { runner, calls } = recorder(() => undefined);
    const o = kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }); // port 0: always bindable
    await kindUp(o, t, runner, () => undefined, answered);
    const cfgFile = join(dir, 'demo', 'kind-config.yaml');
    expect(calls).toEqual([
      'docker info --format {{.ServerVersion}} {{.KernelVersion}}',
      'kind get clusters',
      // No --wait: the manifests go in while the node comes up; its Ready is waited for after them.
      `kind create cluster --config ${cfgFile} --image ${versions.kindNodeImage} --retain`,
      'kubectl --context kind-demo apply -f - <stdin>',
      'kubectl --context kind-demo apply -f - <stdin>',
      'kubectl --context kind-demo wait --for=condition=Ready node --all --timeout=180s',
      'kubectl --context kind-demo -n traefik rollout status deployment/traefik --timeout=180s',
      'kubectl --context kind-demo -n kube-system rollout status deployment/coredns --timeout=180s',
    ]);
    expect(asked).toEqual(['http://127.0.0.1:0/ (Host cluster-up.localhost)']);
    const cfg = parse(readFileSync(cfgFile, 'utf8'));
    expect(cfg.nodes[0].extraMounts[0].hostPath).toBe(join(dir, 'demo', 'encryption'));
  });

  it('reuses an existing cluster and sets up the registry when asked', async () => {
    const { runner, calls } = recorder((cmd, args) => {
      if (args[0] === 'get' && args[1] === 'clusters') return { stdout: 'other\ndemo\n' };
      if (args[0] === 'get' && args[1] === 'nodes') return { stdout: 'demo-control-plane\n' };
      return undefined;
    });
    await kindUp(kindOptions('demo', {}, { registry: true, kubeconfig: '/tmp/kc' }), t, runner, () => undefined, answered);
    expect(calls).toContain('kind export kubeconfig --name demo --kubeconfig /tmp/kc');
    expect(calls.some((c) => c.startsWith('kind create'))).toBe(false);
    expect(calls).toContain('docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name kind-registry docker.io/library/registry:3');
    expect(calls).toContain('docker network connect kind kind-registry');
    expect(calls).toContain('docker exec -i demo-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml <stdin>');
    expect(calls).toContain('kubectl --kubeconfig /tmp/kc --context kind-demo apply -f - <stdin>');
  });

  it('loads KIND_LOAD_IMAGES into the nodes and applies metrics-server with METRICS_SERVER_IMAGE (kind\'s self-signed kubelets: --kubelet-insecure-tls)', async () => {
    process.env.KIND_LOAD_IMAGES = 'offline-kind.local/metrics-server:v0.8.1';
    process.env.METRICS_SERVER_IMAGE = 'offline-kind.local/metrics-server:v0.8.1';
    const inputs: string[] = [];
    const { runner, calls } = recorder((cmd, args) => (args[0] === 'get' && args[1] === 'clusters' ? { stdout: 'demo\n' } : undefined));
    const recording: Runner = (cmd, args, opts) => (opts?.input && inputs.push(opts.input), runner(cmd, args, opts));
    await kindUp(kindOptions('demo', {}), t, recording, () => undefined, answered);
    expect(calls).toContain('kind load docker-image offline-kind.local/metrics-server:v0.8.1 --name demo');
    const ms = inputs.map((y) => parseAllDocuments(y).map((d) => d.toJS())).find((docs) => docs.some((d) => d?.kind === 'APIService'));
    const deploy = ms?.find((d) => d.kind === 'Deployment');
    const c = deploy.spec.template.spec.containers[0];
    expect(c.image).toBe('offline-kind.local/metrics-server:v0.8.1');
    expect(c.args).toContain('--kubelet-insecure-tls');
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '64Mi' });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(deploy.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('a create that made no node names the node image', async () => {
    const { runner } = recorder((cmd, args) => (args[0] === 'create' ? { status: 1, stderr: 'ERROR: failed to pull image "kindest/node"' } : undefined));
    const err = await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, runner, () => undefined).catch((e) => e);
    expect(err.step).toBe('kind create cluster');
    expect(err.cause).toContain('kind made no node container');
    expect(err.fix).toContain(`node image ${versions.kindNodeImage} is unreachable`);
  });
});

describe('kindUp: what the new node needs from the host', () => {
  // The Docker daemon runs on this kernel, so the host's /proc limits are the nodes'.
  const onThisKernel = (more: (cmd: string, args: string[]) => Partial<RunResult> | undefined = () => undefined) =>
    recorder((cmd, args) => (cmd === 'docker' && args[0] === 'info' ? { stdout: `20.10.24 ${release()}\n` } : more(cmd, args)));
  const roomy: HostFacts = { cpus: 2, load1: 1, threads: 900, pidMax: 32768, memAvailableBytes: 16 * 1024 ** 3, inotify: { maxUserInstances: 512, maxUserWatches: 524288, instancesInUse: 40, watchesInUse: 9000 } };
  const quiet = async () => 404;

  it('refuses before kind create when the inotify instances left are too few, naming the sysctl to raise', async () => {
    const { runner, calls } = onThisKernel((cmd, args) => (args[0] === 'ps' ? { stdout: 'a\nb\nc\n' } : undefined));
    const host: HostFacts = { ...roomy, inotify: { maxUserInstances: 128, maxUserWatches: 192540, instancesInUse: 110, watchesInUse: 30000 } };
    const err = await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, runner, () => undefined, quiet, () => host).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.step).toBe('preflight: inotify');
    expect(err.cause).toContain('fs.inotify.max_user_instances=128 with 110 in use now (3 kind nodes running)');
    expect(err.fix).toContain('sudo sysctl -w fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288');
    expect(calls.some((c) => c.startsWith('kind create'))).toBe(false);
  });

  it('estimates from the running nodes when /proc of root is not readable, and notes limits below kind\'s recommendation', async () => {
    const notes: string[] = [];
    const { runner, calls } = onThisKernel((cmd, args) => (args[0] === 'ps' ? { stdout: 'a\n' } : undefined));
    const host: HostFacts = { ...roomy, inotify: { maxUserInstances: 128, maxUserWatches: 192540 } };
    await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, runner, (m) => notes.push(m), quiet, () => host);
    expect(notes.join('\n')).toMatch(/below kind's recommended 512 \/ 524288 for several clusters: sudo sysctl -w/);
    expect(calls.some((c) => c.startsWith('kind create'))).toBe(true);
    const full = onThisKernel((cmd, args) => (args[0] === 'ps' ? { stdout: 'n\n'.repeat(4) } : undefined));
    const err = await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, full.runner, () => undefined, quiet, () => host).catch((e) => e);
    expect(err.cause).toMatch(/max_user_instances=128 with \d+ estimated in use by the 4 kind nodes running/);
  });

  it('a node that did not boot in kind\'s 30 s: its log and the load name the cause, the logs are saved, the half-made cluster deleted', async () => {
    const bootLog = ['offline-kind-entrypoint: starting systemd', 'systemd 252.39-1~deb12u1 running in system mode', '[  OK  ] Started containerd.service - containerd container runtime.', '         Starting offline-kind-preload.service - Preload offline-kind component images into containerd...'].join('\n');
    const { runner, calls } = onThisKernel((cmd, args) => {
      if (args[0] === 'create') return { status: 1 };
      if (args[0] === 'get' && args[1] === 'nodes') return { stdout: 'demo-control-plane\n' };
      if (cmd === 'docker' && args[0] === 'logs') return { stdout: bootLog };
      return undefined;
    });
    const busy: HostFacts = { ...roomy, load1: 9 };
    let reads = 0;
    const err = await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, runner, () => undefined, quiet, () => (reads++ ? busy : roomy)).catch((e) => e);
    expect(err.step).toBe('kind create cluster: node boot');
    expect(err.cause).toContain(`node demo-control-plane's systemd had not reached multi-user.target when kind's 30 s wait ended`);
    expect(err.cause).toContain('Starting offline-kind-preload.service');
    expect(err.cause).toContain('load average 9.0 on 2 CPUs');
    expect(err.fix).toMatch(/kind export logs --name demo \/.*\/demo\/logs-/);
    const exported = calls.findIndex((c) => c.startsWith('kind export logs'));
    expect(exported).toBeGreaterThan(0);
    expect(calls.slice(exported)).toContainEqual('kind delete cluster --name demo');
  });

  it('a node whose systemd ran out of inotify instances is told by its log line, with the sysctl fix', async () => {
    const { runner } = onThisKernel((cmd, args) => {
      if (args[0] === 'create') return { status: 1 };
      if (args[0] === 'get' && args[1] === 'nodes') return { stdout: 'demo-control-plane\n' };
      if (cmd === 'docker' && args[0] === 'logs') return { stderr: 'Failed to create control group inotify object: Too many open files\nFailed to allocate manager object: Too many open files\n' };
      return undefined;
    });
    const err = await kindUp(kindOptions('demo', {}, { httpPort: 0, httpsPort: 0 }), t, runner, () => undefined, quiet, () => roomy).catch((e) => e);
    expect(err.cause).toContain('ran out of inotify instances or watches ("Failed to create control group inotify object: Too many open files")');
    expect(err.fix).toContain('sudo sysctl -w fs.inotify.max_user_instances=512');
  });
});

describe('kindStatus / kindDown', () => {
  it('names a missing cluster and the command that creates it', () => {
    const { runner } = recorder(() => undefined);
    expect(() => kindStatus(kindOptions('todo', {}), t, runner)).toThrow(/kind cluster "todo" does not exist[\s\S]*nx run cluster:cluster-up/);
  });

  it('reports each health check and fails on any', () => {
    const { runner } = recorder((cmd, args) => {
      if (args[0] === 'get' && args[1] === 'clusters') return { stdout: 'todo\n' };
      const a = args.join(' ');
      if (a.includes('readyz')) return { stdout: 'ok' };
      if (a.includes('get nodes')) return { stdout: 'todo-control-plane=True ' };
      if (a.includes('storageclass')) return { stdout: 'standard' };
      if (a.includes('deployment traefik')) return { stdout: '0/1' };
      if (a.includes('ingressclass')) return { stdout: 'traefik' };
      if (a.includes('kube-apiserver')) return { stdout: '["kube-apiserver","--encryption-provider-config=/etc/kubernetes/encryption/config.yaml"]' };
      return undefined;
    });
    const checks = kindStatus(kindOptions('todo', {}), t, runner);
    expect(checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['ingress traefik/traefik']);
    expect(() => assertHealthy('todo', checks)).toThrow(/ingress traefik\/traefik \(0\/1 ready\)/);
  });

  it('reports a cluster without a metrics API, and still calls it healthy', () => {
    const { runner } = recorder((cmd, args) => {
      const a = args.join(' ');
      if (a === 'get clusters') return { stdout: 'todo\n' };
      if (a.includes('metrics.k8s.io')) return { status: 1, stderr: 'Error from server (NotFound): the server could not find the requested resource' };
      if (a.includes('get nodes')) return { stdout: 'todo-control-plane=True ' };
      if (a.includes('deployment traefik')) return { stdout: '1/1' };
      if (a.includes('kube-apiserver')) return { stdout: '--encryption-provider-config' };
      return { stdout: 'x' };
    });
    const checks = kindStatus(kindOptions('todo', {}), t, runner);
    const m = checks.find((c) => c.check === 'metrics API');
    expect(m).toMatchObject({ ok: false, optional: true });
    expect(m?.detail).toMatch(/not available \(Error from server \(NotFound\)[^)]*\); `nx run cluster:cluster-up` installs metrics-server/);
    expect(() => assertHealthy('todo', checks)).not.toThrow();
  });

  it('deletes the cluster and its key; a missing cluster is not an error', () => {
    const { runner, calls } = recorder((cmd, args) => (args[1] === 'clusters' ? { stdout: 'todo\n' } : undefined));
    kindDown(kindOptions('todo', {}), t, runner, () => undefined);
    expect(calls).toContain('kind delete cluster --name todo');
    const r2 = recorder(() => undefined);
    kindDown(kindOptions('todo', {}), t, r2.runner, () => undefined);
    expect(r2.calls.some((c) => c.includes('delete'))).toBe(false);
  });
});
