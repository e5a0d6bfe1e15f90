/**
 * kube-linter's default checks (docs/generated/checks.md, "Enabled by default: Yes"), reimplemented
 * under their kube-linter names because kube-linter cannot be built here (golang.stackrox.io/kube-linter
 * answers 403 on the Go module proxy and github.com/stackrox/kube-linter is not on it).
 */
import { K8sObject, id, selects } from '../manifests';
import { Finding, Rule, allContainers, effective, hostPaths, perContainer, perPod, pods } from './rule';

/** IANA service name (RFC 6335 5.1): 1-15 characters, a-z 0-9 and "-", a letter, no leading/trailing/double "-". */
export function isIanaSvcName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

function probePort(probe: any): string | number | undefined {
  return probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
}

function exposesPort(container: any, port: string | number): boolean {
  return (container.ports ?? []).some((p: any) => p.name === port || p.containerPort === port || String(p.containerPort) === String(port));
}

function replicasOf(o: K8sObject): number {
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'ReplicaSet') return o.spec?.replicas ?? 1;
  return 1;
}

const SENSITIVE_HOST_DIRS = [/^\/$/, /^\/boot$/, /^\/dev$/, /^\/etc$/, /^\/lib$/, /^\/proc$/, /^\/sys$/, /^\/usr$/];
const UNSAFE_SYSCTL_PREFIXES = ['kernel.msg', 'kernel.sem', 'kernel.shm', 'fs.mqueue.', 'net.'];
const LATEST_BLOCKLIST = [/.*:(latest)$/, /^[^:]*$/, /(.*\/[^:]+)$/];

function probePortRule(id_: string, probeKey: string): Rule {
  return perContainer(id_, 'kube-linter', `the ${probeKey} targets a port the container exposes`, (c) => {
    const port = probePort(c.container[probeKey]);
    return port !== undefined && !exposesPort(c.container, port) ? `${probeKey} port ${port} is not one of the container's ports` : undefined;
  });
}

export const KUBE_LINTER_RULES: Rule[] = [
  {
    id: 'dangling-service',
    source: 'kube-linter',
    description: 'a Service selects the pods of some workload',
    check: (objects) => {
      const templates = pods(objects);
      return objects
        .filter((o) => o.kind === 'Service' && o.spec?.selector && Object.keys(o.spec.selector).length)
        .filter((s) => !templates.some((p) => selects(s.spec.selector, p.labels, true)))
        .map((s) => ({ rule: 'dangling-service', object: id(s), message: `selector ${JSON.stringify(s.spec.selector)} matches no pod template` }));
    },
  },
  perPod('deprecated-service-account-field', 'kube-linter', 'serviceAccountName, not the deprecated serviceAccount', (p) =>
    p.spec.serviceAccount ? 'spec.serviceAccount is deprecated; use serviceAccountName' : undefined,
  ),
  perPod('docker-sock', 'kube-linter', 'no docker.sock host mount', (p) =>
    hostPaths(p).some((h) => /docker\.sock$/.test(h)) ? 'mounts docker.sock from the host' : undefined,
  ),
  perContainer('drop-net-raw-capability', 'kube-linter', 'NET_RAW is dropped (drop ALL counts) and not added', (c) => {
    const caps = c.container.securityContext?.capabilities ?? {};
    const drop: string[] = caps.drop ?? [];
    if ((caps.add ?? []).includes('NET_RAW')) return 'capabilities.add has NET_RAW';
    return drop.includes('ALL') || drop.includes('NET_RAW') ? undefined : 'NET_RAW is not dropped';
  }),
  perContainer('duplicate-env-var', 'kube-linter', 'no env variable is listed twice (an error under server-side apply)', (c) => {
    const names: string[] = (c.container.env ?? []).map((e: any) => e.name);
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    return dup.length ? `env ${[...new Set(dup)].join(', ')} listed more than once` : undefined;
  }),
  perContainer('env-var-secret', 'kube-linter', 'no literal value in an env variable named like a secret', (c) => {
    const bad = (c.container.env ?? []).filter((e: any) => /secret/i.test(e.name) && typeof e.value === 'string' && e.value.length > 0);
    return bad.length ? `env ${bad.map((e: any) => e.name).join(', ')} holds a literal value; use secretKeyRef` : undefined;
  }),
  perPod('host-ipc', 'kube-linter', 'hostIPC is not set', (p) => (p.spec.hostIPC ? 'hostIPC is true' : undefined)),
  perPod('host-network', 'kube-linter', 'hostNetwork is not set', (p) => (p.spec.hostNetwork ? 'hostNetwork is true' : undefined)),
  perPod('host-pid', 'kube-linter', 'hostPID is not set', (p) => (p.spec.hostPID ? 'hostPID is true' : undefined)),
  {
    id: 'invalid-target-ports',
    source: 'kube-linter',
    description: 'port names and Service targetPorts are valid (IANA names of at most 15 characters, or 1-65535)',
    check: (objects) => {
      const findings: Finding[] = [];
      for (const o of objects.filter((x) => x.kind === 'Service'))
        for (const p of o.spec?.ports ?? []) {
          const t = p.targetPort;
          if (typeof t === 'string' && !isIanaSvcName(t)) findings.push({ rule: 'invalid-target-ports', object: id(o), message: `targetPort "${t}" is not a valid port name` });
          if (typeof t === 'number' && (t < 1 || t > 65535)) findings.push({ rule: 'invalid-target-ports', object: id(o), message: `targetPort ${t} is out of range` });
        }
      for (const c of allContainers(objects))
        for (const p of c.container.ports ?? [])
          if (p.name !== undefined && !isIanaSvcName(p.name))
            findings.push({ rule: 'invalid-target-ports', object: id(c.pod.owner), container: c.container.name, message: `port name "${p.name}" is not a valid port name` });
      return findings;
    },
  },
  perContainer('latest-tag', 'kube-linter', 'images carry a tag other than latest', (c) => {
    const image = String(c.container.image ?? '');
    const withoutDigest = image.split('@')[0];
    return LATEST_BLOCKLIST.some((re) => re.test(withoutDigest)) ? `image "${image}" has no tag or uses latest` : undefined;
  }),
  probePortRule('liveness-port', 'livenessProbe'),
  {
    id: 'mismatching-selector',
    source: 'kube-linter',
    description: "a workload's selector matches its pod template's labels",
    check: (objects) =>
      objects
        .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind) || (o.kind === 'Job' && o.spec?.selector))
        .filter((o) => !selects(o.spec?.selector, o.spec?.template?.metadata?.labels ?? {}))
        .map((o) => ({ rule: 'mismatching-selector', object: id(o), message: 'spec.selector does not match spec.template.metadata.labels' })),
  },
  {
    id: 'no-anti-affinity',
    source: 'kube-linter',
    description: 'workloads with 2+ replicas have a pod anti-affinity over kubernetes.io/hostname that selects their own pods',
    check: (objects) =>
      objects
        .filter((o) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && replicasOf(o) >= 2)
        .filter((o) => {
          const labels = o.spec?.template?.metadata?.labels ?? {};
          const anti = o.spec?.template?.spec?.affinity?.podAntiAffinity ?? {};
          const terms = [
            ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []),
            ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: any) => w.podAffinityTerm),
          ];
          return !terms.some((t: any) => (t?.topologyKey ?? '') === 'kubernetes.io/hostname' && selects(t.labelSelector, labels));
        })
        .map((o) => ({ rule: 'no-anti-affinity', object: id(o), message: `${replicasOf(o)} replicas without a podAntiAffinity over kubernetes.io/hostname` })),
  },
  {
    id: 'no-extensions-v1beta',
    source: 'kube-linter',
    description: 'no deprecated extensions/v1beta* API',
    check: (objects) =>
      objects
        .filter((o) => /^extensions\/v1beta/.test(o.apiVersion))
        .map((o) => ({ rule: 'no-extensions-v1beta', object: id(o), message: `apiVersion ${o.apiVersion} is gone; use apps/v1 or networking.k8s.io/v1` })),
  },
  perContainer('no-read-only-root-fs', 'kube-linter', 'readOnlyRootFilesystem is true (writable paths are explicit volumes)', (c) =>
    c.container.securityContext?.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true',
  ),
  {
    id: 'non-existent-service-account',
    source: 'kube-linter',
    description: 'a serviceAccountName refers to a ServiceAccount of the manifests',
    check: (objects) => {
      const accounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name));
      return pods(objects)
        .filter((p) => p.spec.serviceAccountName && p.spec.serviceAccountName !== 'default' && !accounts.has(p.spec.serviceAccountName))
        .map((p) => ({ rule: 'non-existent-service-account', object: id(p.owner), message: `ServiceAccount "${p.spec.serviceAccountName}" is not defined` }));
    },
  },
  {
    id: 'pdb-max-unavailable',
    source: 'kube-linter',
    description: 'a PodDisruptionBudget allows some disruption (maxUnavailable not 0)',
    check: (objects) =>
      objects
        .filter((o) => o.kind === 'PodDisruptionBudget' && o.spec?.maxUnavailable !== undefined && /^0%?$/.test(String(o.spec.maxUnavailable)))
        .map((o) => ({ rule: 'pdb-max-unavailable', object: id(o), message: 'maxUnavailable 0 blocks every node drain' })),
  },
  {
    id: 'pdb-min-available',
    source: 'kube-linter',
    description: 'a PodDisruptionBudget minAvailable is below the replicas it covers',
    check: (objects) =>
      objects
        .filter((o) => o.kind === 'PodDisruptionBudget' && o.spec?.minAvailable !== undefined)
        .filter((o) => {
          const m = o.spec.minAvailable;
          if (typeof m === 'string') return m === '100%';
          const covered = objects.filter((w) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(w.kind) && selects(o.spec.selector, w.spec?.template?.metadata?.labels ?? {}));
          return covered.some((w) => m >= replicasOf(w));
        })
        .map((o) => ({ rule: 'pdb-min-available', object: id(o), message: `minAvailable ${o.spec.minAvailable} leaves no pod to disrupt` })),
  },
  {
    id: 'pdb-unhealthy-pod-eviction-policy',
    source: 'kube-linter',
    description: 'a PodDisruptionBudget sets unhealthyPodEvictionPolicy',
    check: (objects) =>
      objects
        .filter((o) => o.kind === 'PodDisruptionBudget' && !o.spec?.unhealthyPodEvictionPolicy)
        .map((o) => ({ rule: 'pdb-unhealthy-pod-eviction-policy', object: id(o), message: 'unhealthyPodEvictionPolicy is unset; use AlwaysAllow' })),
  },
  perContainer('privilege-escalation-container', 'kube-linter', 'no privilege escalation: allowPrivilegeEscalation false, not privileged, no SYS_ADMIN', (c) => {
    const sc = c.container.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) return 'allowPrivilegeEscalation is not false';
    if (sc.privileged === true) return 'privileged is true';
    if ((sc.capabilities?.add ?? []).includes('SYS_ADMIN')) return 'capabilities.add has SYS_ADMIN';
    return undefined;
  }),
  perContainer('privileged-container', 'kube-linter', 'no privileged container', (c) =>
    c.container.securityContext?.privileged === true ? 'privileged is true' : undefined,
  ),
  probePortRule('readiness-port', 'readinessProbe'),
  perContainer('run-as-non-root', 'kube-linter', 'runs as non-root: runAsNonRoot true or a non-zero runAsUser', (c) => {
    const nonRoot = effective(c, 'runAsNonRoot');
    const user = effective(c, 'runAsUser');
    return nonRoot === true || (typeof user === 'number' && user > 0) ? undefined : 'neither runAsNonRoot true nor a non-zero runAsUser';
  }),
  perPod('sensitive-host-mounts', 'kube-linter', 'no host system directory mounted', (p) => {
    const bad = hostPaths(p).filter((h) => SENSITIVE_HOST_DIRS.some((re) => re.test(h)));
    return bad.length ? `mounts host ${bad.join(', ')}` : undefined;
  }),
  perContainer('ssh-port', 'kube-linter', 'no container port 22', (c) =>
    (c.container.ports ?? []).some((p: any) => p.containerPort === 22 && (p.protocol ?? 'TCP') === 'TCP') ? 'exposes port 22 (SSH)' : undefined,
  ),
  probePortRule('startup-port', 'startupProbe'),
  perPod('unsafe-sysctls', 'kube-linter', 'no unsafe sysctls', (p) => {
    const bad = (p.spec.securityContext?.sysctls ?? []).map((s: any) => s.name).filter((n: string) => UNSAFE_SYSCTL_PREFIXES.some((x) => n.startsWith(x)));
    return bad.length ? `unsafe sysctls ${bad.join(', ')}` : undefined;
  }),
  perContainer('unset-cpu-requirements', 'kube-linter', 'a CPU request is set', (c) => {
    const cpu = c.container.resources?.requests?.cpu;
    return cpu === undefined || cpu === 0 || cpu === '0' ? 'resources.requests.cpu is unset' : undefined;
  }),
  perContainer('unset-memory-requirements', 'kube-linter', 'a memory limit is set', (c) => {
    const mem = c.container.resources?.limits?.memory;
    return mem === undefined || mem === 0 || mem === '0' ? 'resources.limits.memory is unset' : undefined;
  }),
];
