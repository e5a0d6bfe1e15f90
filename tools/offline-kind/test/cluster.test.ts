/*
 * Acceptance test of the offline kind cluster (nx run offline-kind:test).
 *
 * Brings the cluster up (building whatever is missing), then checks, as a user of the cluster would:
 * node Ready, a `kind load`ed image runs, Service DNS through CoreDNS, a PersistentVolumeClaim through
 * local-path-provisioner keeps data across pods, an Ingress answers on the host's loopback through
 * Traefik, a NetworkPolicy blocks traffic, Pod Security "restricted" rejects a privileged pod, and the
 * node never tried to pull an image from a registry. Nothing is skipped: a missing piece fails.
 *
 * The cluster has a name and ports of its own (todo-test on 127.0.0.1:18180/18543, never the app's
 * "todo" on 80/443), and a cluster this run created is deleted when it ends, on failure too
 * (OFFLINE_KIND_KEEP=1 keeps it for the next run; one that existed before is left as it was).
 */
import { execFileSync, ExecFileSyncOptions, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { eventually } from '@todo/test-utils';

const root = join(__dirname, '..');
const scripts = join(root, 'scripts');
const cluster = process.env.OFFLINE_KIND_CLUSTER_NAME || 'todo-test';
const httpPort = Number(process.env.OFFLINE_KIND_HTTP_PORT || 18180);
const run = randomBytes(3).toString('hex');
const ns = `okt-${run}`; // the workload's namespace (Pod Security: restricted)
const clientNs = `okt-${run}-client`;

let kubeconfig = '';
let kubectlBin = '';
let kindBin = '';
/** Whether this run created the cluster (then it deletes it at the end). */
let created = false;

function sh(file: string, args: string[], opts: ExecFileSyncOptions & { input?: string } = {}): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 300_000, ...opts }) as string;
}

function kubectl(args: string[], input?: string, timeout = 120_000): string {
  return sh(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input, timeout });
}

/** kubectl whose failure is part of the expectation: returns exit status and combined output. */
function kubectlResult(args: string[], input?: string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: kubectl(args, input) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}


/** GET http://127.0.0.1:<port>/ with a Host header, as a browser resolving <name>.localhost would send. */
function httpGet(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path: '/', headers: { Host: host }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const restricted = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};
const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

function pod(name: string, namespace: string, image: string, extra: Record<string, unknown> = {}) {
  const { labels, volumes, volumeMounts } = extra as {
    labels?: Record<string, string>;
    volumes?: unknown[];
    volumeMounts?: unknown[];
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: labels ?? { app: name } },
    spec: {
      securityContext: restricted,
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'Never',
          args: ['sleep'],
          securityContext: containerSecurity,
          volumeMounts: volumeMounts ?? [],
        },
      ],
      volumes: volumes ?? [],
    },
  };
}

let testkitImage = '';

beforeAll(() => {
  kindBin = sh('bash', [join(root, '../../scripts/go-tool.sh'), 'kind']).trim();
  const nodeId = () => spawnSync('docker', ['inspect', '-f', '{{.Id}}', `${cluster}-control-plane`], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const before = nodeId();
  // Builds what is missing (cold: see README for timings) and creates the cluster if it does not exist.
  const out = sh('bash', [join(scripts, 'cluster-up.sh')], { timeout: 3_000_000, stdio: ['ignore', 'pipe', 'inherit'] });
  kubeconfig = out.trim().split('\n').pop() ?? '';
  created = nodeId() !== before; // a new node container: cluster-up created (or re-created) the cluster
  kubectlBin = join(sh('bash', [join(scripts, 'build-go.sh'), 'kubernetes']).trim(), 'kubectl');
  testkitImage = sh('bash', [join(scripts, 'build-images.sh'), 'testkit'], { timeout: 900_000 }).trim().split('\n').pop() ?? '';
}, 3_600_000);

afterAll(() => {
  if (created && !process.env.OFFLINE_KIND_KEEP) {
    sh('bash', [join(scripts, 'cluster-down.sh')], { timeout: 300_000 });
  } else if (kubeconfig) {
    kubectlResult(['delete', 'namespace', ns, clientNs, '--wait=false']);
  }
}, 300_000);

describe('offline kind cluster', () => {
  test('the node is Ready', () => {
    const nodes = JSON.parse(kubectl(['get', 'nodes', '-o', 'json'])).items as Array<{
      metadata: { name: string };
      status: { conditions: Array<{ type: string; status: string }>; nodeInfo: { kubeletVersion: string } };
    }>;
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status.nodeInfo.kubeletVersion).toMatch(/^v1\.34\./);
    }
  });

  test('a locally built image loaded with `kind load docker-image` runs as a Deployment', () => {
    sh(kindBin, ['load', 'docker-image', testkitImage, '--name', cluster], { timeout: 300_000 });
    kubectl(['create', 'namespace', ns]);
    kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    kubectl(['create', 'namespace', clientNs]);
    kubectl(['label', 'namespace', clientNs, 'pod-security.kubernetes.io/enforce=restricted', 'role=client']);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hello', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'hello' } },
        template: {
          metadata: { labels: { app: 'hello' } },
          spec: {
            securityContext: restricted,
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'hello',
                image: testkitImage,
                imagePullPolicy: 'IfNotPresent',
                args: ['serve', '-addr', ':8080'],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
                securityContext: containerSecurity,
              },
            ],
          },
        },
      },
    };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello', namespace: ns },
      spec: { selector: { app: 'hello' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment, service] }));
    kubectl(['-n', ns, 'rollout', 'status', 'deployment/hello', '--timeout=120s'], undefined, 150_000);
  });

  test('a Service resolves through CoreDNS and answers from a pod in another namespace', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify(pod('client', clientNs, testkitImage, { labels: { role: 'client' } })));
    kubectl(['-n', clientNs, 'wait', 'pod/client', '--for=condition=Ready', '--timeout=90s'], undefined, 100_000);
    const name = `hello.${ns}.svc.cluster.local`;
    const addrs = await eventually('DNS lookup', () => kubectl(['-n', clientNs, 'exec', 'client', '--', '/testkit', 'lookup', name]));
    const clusterIP = kubectl(['-n', ns, 'get', 'service', 'hello', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(addrs.trim().split('\n')).toContain(clusterIP);
    const body = await eventually('HTTP through the Service', () =>
      kubectl(['-n', clientNs, 'exec', 'client', '--', '/testkit', 'get', `http://${name}:8080/`]),
    );
    expect(body).toContain('hello from hello-');
  });

  test('a PersistentVolumeClaim binds through local-path-provisioner and keeps data across pods', async () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
    };
    const withVolume = {
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    };
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pvc, pod('writer', ns, testkitImage, withVolume)] }));
    kubectl(['-n', ns, 'wait', 'pod/writer', '--for=condition=Ready', '--timeout=120s'], undefined, 130_000);
    expect(kubectl(['-n', ns, 'get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}'])).toBe('Bound');
    const secret = `persisted-${run}`;
    kubectl(['-n', ns, 'exec', 'writer', '--', '/testkit', 'write', '/data/greeting', secret]);
    kubectl(['-n', ns, 'delete', 'pod', 'writer', '--wait=true', '--timeout=60s']);
    kubectl(['apply', '-f', '-'], JSON.stringify(pod('reader', ns, testkitImage, withVolume)));
    kubectl(['-n', ns, 'wait', 'pod/reader', '--for=condition=Ready', '--timeout=120s'], undefined, 130_000);
    expect(kubectl(['-n', ns, 'exec', 'reader', '--', '/testkit', 'cat', '/data/greeting'])).toBe(secret);
  });

  test('an Ingress routes http://<name>.localhost on the host to the pod through Traefik', async () => {
    const host = `hello-${run}.localhost`;
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'hello', namespace: ns },
      spec: {
        ingressClassName: 'traefik',
        rules: [
          { host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { number: 8080 } } } }] } },
        ],
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(ingress));
    const res = await eventually('HTTP through the ingress', async () => {
      const r = await httpGet(host);
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body}`);
      return r;
    });
    expect(res.body).toContain('hello from hello-');
  });

  test('a NetworkPolicy that denies ingress blocks traffic, and one that allows a namespace lets it through', async () => {
    const url = `http://hello.${ns}.svc.cluster.local:8080/`;
    const get = () => kubectlResult(['-n', clientNs, 'exec', 'client', '--', '/testkit', 'get', '-timeout', '2s', url]);
    expect(get().ok).toBe(true);
    const denyAll = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny-all', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(denyAll));
    await eventually('traffic blocked', () => {
      const r = get();
      if (r.ok) throw new Error('the request still went through');
      return r;
    }, 30_000, 1_000);
    // Still blocked a few seconds later (not a transient failure).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(get().ok).toBe(false);

    const allowClients = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-clients', namespace: ns },
      spec: {
        podSelector: { matchLabels: { app: 'hello' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }] }],
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(allowClients));
    await eventually('traffic allowed again', () => {
      const r = get();
      if (!r.ok) throw new Error(r.out);
      return r;
    }, 30_000, 1_000);
    kubectl(['-n', ns, 'delete', 'networkpolicy', 'deny-all', 'allow-clients']);
  });

  test('a namespace enforcing Pod Security "restricted" rejects a privileged pod', () => {
    const privileged = pod('privileged', ns, testkitImage);
    (privileged.spec.containers[0] as Record<string, unknown>).securityContext = { privileged: true };
    const r = kubectlResult(['apply', '-f', '-'], JSON.stringify(privileged));
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/violates PodSecurity "restricted/);
  });

  test('the node never tried to pull an image from a registry', () => {
    const node = `${cluster}-control-plane`;
    const logs = sh('docker', ['exec', node, 'journalctl', '-u', 'containerd', '-u', 'kubelet', '--no-pager', '-o', 'cat'], {
      maxBuffer: 512 * 1024 * 1024,
    });
    expect(logs.length).toBeGreaterThan(1000); // the logs are really there
    const pulls = logs.split('\n').filter((l) => /PullImage|failed to pull|pulling image|ErrImagePull|ImagePullBackOff/i.test(l));
    expect(pulls).toEqual([]);
    // And nothing could leave the node beyond its Docker network (the entrypoint's egress guard).
    const guard = sh('docker', ['exec', node, 'iptables', '-S', 'OFFLINE-KIND-EGRESS']);
    expect(guard).toMatch(/-j REJECT/);
    expect(sh('docker', ['exec', node, 'iptables', '-S', 'OUTPUT'])).toContain('-o eth0 -j OFFLINE-KIND-EGRESS');
  });
});
