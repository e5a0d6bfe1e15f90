/**
 * Policy check of rendered manifests: the Pod Security Standard "restricted" (which includes
 * "baseline"), a read-only root filesystem, and the default checks of kube-linter, reimplemented
 * because kube-linter cannot be built here (golang.stackrox.io/kube-linter answers 403 on the Go module
 * proxy and github.com/stackrox/kube-linter is not on it). Each rule has an id, the source it comes
 * from, and returns findings that name the object, the container and what to change.
 *
 * PSS: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (version "latest", 1.33+).
 * kube-linter: docs/generated/checks.md, the checks with "Enabled by default: Yes".
 */
import { ContainerRef, K8sObject, PodTemplate, containers, id, podTemplate, selects } from './manifests';

export type RuleSource = 'pss-baseline' | 'pss-restricted' | 'kube-linter' | 'platform';

export interface Finding {
  rule: string;
  object: string;
  container?: string;
  message: string;
}

export interface Rule {
  id: string;
  source: RuleSource;
  description: string;
  check(objects: K8sObject[]): Finding[];
}

// ---------------------------------------------------------------- helpers

function pods(objects: K8sObject[]): PodTemplate[] {
  return objects.map(podTemplate).filter((p): p is PodTemplate => p !== undefined);
}

function allContainers(objects: K8sObject[]): ContainerRef[] {
  return pods(objects).flatMap(containers);
}

/** A rule over every container of every pod template. */
function perContainer(id_: string, source: RuleSource, description: string, test: (c: ContainerRef) => string | undefined): Rule {
  return {
    id: id_,
    source,
    description,
    check: (objects) =>
      allContainers(objects).flatMap((c) => {
        const message = test(c);
        return message ? [{ rule: id_, object: id(c.pod.owner), container: c.container.name, message }] : [];
      }),
  };
}

/** A rule over every pod template. */
function perPod(id_: string, source: RuleSource, description: string, test: (p: PodTemplate) => string | undefined): Rule {
  return {
    id: id_,
    source,
    description,
    check: (objects) =>
      pods(objects).flatMap((p) => {
        const message = test(p);
        return message ? [{ rule: id_, object: id(p.owner), message }] : [];
      }),
  };
}

/** A container's effective security setting: its own, else the pod's. */
function effective(c: ContainerRef, key: string): any {
  const own = c.container.securityContext?.[key];
  return own !== undefined ? own : c.pod.spec.securityContext?.[key];
}

function volumesOf(p: PodTemplate): any[] {
  return p.spec.volumes ?? [];
}

const volumeType = (v: any) => Object.keys(v).find((k) => k !== 'name') ?? '(none)';

function hostPaths(p: PodTemplate): string[] {
  return volumesOf(p)
    .filter((v) => v.hostPath)
    .map((v) => String(v.hostPath.path));
}

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

// ---------------------------------------------------------------- Pod Security Standards

const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

const PSS_RULES: Rule[] = [
  perPod('pss-host-process', 'pss-baseline', 'Windows HostProcess pods are not allowed', (p) => {
    const cs = containers(p);
    const on = p.spec.securityContext?.windowsOptions?.hostProcess === true || cs.some((c) => c.container.securityContext?.windowsOptions?.hostProcess === true);
    return on ? 'windowsOptions.hostProcess is true; remove it' : undefined;
  }),
  perPod('pss-host-namespaces', 'pss-baseline', 'hostNetwork, hostPID and hostIPC must be unset or false', (p) => {
    const on = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => p.spec[k] === true);
    return on.length ? `${on.join(', ')} true; pods share no host namespace` : undefined;
  }),
  perContainer('pss-privileged', 'pss-baseline', 'privileged containers are not allowed', (c) =>
    c.container.securityContext?.privileged === true ? 'securityContext.privileged is true; set it false' : undefined,
  ),
  perContainer('pss-host-ports', 'pss-baseline', 'hostPort must be unset or 0', (c) => {
    const used = (c.container.ports ?? []).filter((p: any) => p.hostPort).map((p: any) => p.hostPort);
    return used.length ? `hostPort ${used.join(', ')}; expose through a Service instead` : undefined;
  }),
  {
    id: 'pss-apparmor',
    source: 'pss-baseline',
    description: 'AppArmor profiles may only be RuntimeDefault or Localhost',
    check: (objects) =>
      pods(objects).flatMap((p) => {
        const bad: string[] = [];
        for (const [k, v] of Object.entries(p.annotations))
          if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !String(v).startsWith('localhost/'))
            bad.push(`${k}=${v}`);
        const types = [p.spec.securityContext?.appArmorProfile?.type, ...containers(p).map((c) => c.container.securityContext?.appArmorProfile?.type)];
        for (const t of types) if (t !== undefined && t !== 'RuntimeDefault' && t !== 'Localhost') bad.push(`appArmorProfile.type=${t}`);
        return bad.length ? [{ rule: 'pss-apparmor', object: id(p.owner), message: `${bad.join(', ')}; use RuntimeDefault` }] : [];
      }),
  },
  {
    id: 'pss-selinux',
    source: 'pss-baseline',
    description: 'SELinux type limited to the container types; user and role unset',
    check: (objects) =>
      pods(objects).flatMap((p) => {
        const contexts = [p.spec.securityContext?.seLinuxOptions, ...containers(p).map((c) => c.container.securityContext?.seLinuxOptions)].filter(Boolean);
        const bad = contexts.filter((o: any) => o.user || o.role || !SELINUX_TYPES.includes(o.type ?? ''));
        return bad.length ? [{ rule: 'pss-selinux', object: id(p.owner), message: `seLinuxOptions ${JSON.stringify(bad[0])}; drop user/role, use a container_* type` }] : [];
      }),
  },
  perContainer('pss-proc-mount', 'pss-baseline', 'procMount must be Default', (c) => {
    const m = c.container.securityContext?.procMount;
    return m !== undefined && m !== 'Default' ? `procMount ${m}; use Default` : undefined;
  }),
  perPod('pss-sysctls', 'pss-baseline', 'only the safe sysctls', (p) => {
    const bad = (p.spec.securityContext?.sysctls ?? []).map((s: any) => s.name).filter((n: string) => !SAFE_SYSCTLS.includes(n));
    return bad.length ? `unsafe sysctls ${bad.join(', ')}` : undefined;
  }),
  perPod('pss-volume-types', 'pss-restricted', `volumes only of types ${RESTRICTED_VOLUME_TYPES.join(', ')} (so no hostPath)`, (p) => {
    const bad = volumesOf(p).filter((v) => !RESTRICTED_VOLUME_TYPES.includes(volumeType(v)));
    return bad.length ? `volume ${bad.map((v) => `${v.name} (${volumeType(v)})`).join(', ')} not allowed` : undefined;
  }),
  perContainer('pss-privilege-escalation', 'pss-restricted', 'allowPrivilegeEscalation must be false', (c) =>
    c.container.securityContext?.allowPrivilegeEscalation === false ? undefined : 'securityContext.allowPrivilegeEscalation is not false',
  ),
  perContainer('pss-run-as-non-root', 'pss-restricted', 'runAsNonRoot must be true (pod or container)', (c) =>
    effective(c, 'runAsNonRoot') === true ? undefined : 'runAsNonRoot is not true (pod or container securityContext)',
  ),
  perContainer('pss-run-as-user', 'pss-restricted', 'runAsUser must not be 0', (c) =>
    effective(c, 'runAsUser') === 0 ? 'runAsUser is 0 (root)' : undefined,
  ),
  perContainer('pss-seccomp', 'pss-restricted', 'seccompProfile.type must be RuntimeDefault or Localhost (pod or every container)', (c) => {
    const t = effective(c, 'seccompProfile')?.type;
    return t === 'RuntimeDefault' || t === 'Localhost' ? undefined : `seccompProfile.type is ${t ?? 'unset'}; set RuntimeDefault`;
  }),
  perContainer('pss-capabilities', 'pss-restricted', 'capabilities must drop ALL and add at most NET_BIND_SERVICE', (c) => {
    const caps = c.container.securityContext?.capabilities ?? {};
    const problems: string[] = [];
    if (!(caps.drop ?? []).includes('ALL')) problems.push('capabilities.drop lacks ALL');
    const added = (caps.add ?? []).filter((a: string) => a !== 'NET_BIND_SERVICE');
    if (added.length) problems.push(`capabilities.add ${added.join(', ')}`);
    return problems.length ? problems.join('; ') : undefined;
  }),
];

// ---------------------------------------------------------------- kube-linter default checks

const SENSITIVE_HOST_DIRS = [/^\/$/, /^\/boot$/, /^\/dev$/, /^\/etc$/, /^\/lib$/, /^\/proc$/, /^\/sys$/, /^\/usr$/];
const UNSAFE_SYSCTL_PREFIXES = ['kernel.msg', 'kernel.sem', 'kernel.shm', 'fs.mqueue.', 'net.'];
const LATEST_BLOCKLIST = [/.*:(latest)$/, /^[^:]*$/, /(.*\/[^:]+)$/];

function probePortRule(id_: string, probeKey: string): Rule {
  return perContainer(id_, 'kube-linter', `the ${probeKey} targets a port the container exposes`, (c) => {
    const port = probePort(c.container[probeKey]);
    return port !== undefined && !exposesPort(c.container, port) ? `${probeKey} port ${port} is not one of the container's ports` : undefined;
  });
}

const KUBE_LINTER_RULES: Rule[] = [
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

// ---------------------------------------------------------------- platform rules

const PLATFORM_RULES: Rule[] = [
  perContainer('image-pull-policy', 'platform', 'imagePullPolicy is IfNotPresent (images are loaded into the nodes; tags are immutable)', (c) =>
    c.container.imagePullPolicy === 'IfNotPresent' ? undefined : `imagePullPolicy is ${c.container.imagePullPolicy ?? 'unset'}; use IfNotPresent`,
  ),
  perPod('no-service-account-token', 'platform', 'automountServiceAccountToken is false (no pod talks to the API server)', (p) =>
    p.spec.automountServiceAccountToken === false ? undefined : 'automountServiceAccountToken is not false',
  ),
];

export const RULES: readonly Rule[] = [...PSS_RULES, ...KUBE_LINTER_RULES, ...PLATFORM_RULES];

export interface PolicyOptions {
  /** Rule ids to skip (each must exist; list them, with the reason, in the chart README). */
  disabled?: string[];
}

/** Runs every rule (minus the disabled ones) over one set of manifests (one render). */
export function checkPolicy(objects: K8sObject[], options: PolicyOptions = {}): Finding[] {
  const disabled = new Set(options.disabled ?? []);
  for (const d of disabled) if (!RULES.some((r) => r.id === d)) throw new Error(`Unknown policy rule "${d}"; known: ${RULES.map((r) => r.id).join(', ')}`);
  return RULES.filter((r) => !disabled.has(r.id)).flatMap((r) => r.check(objects));
}

export function formatFinding(f: Finding): string {
  return `${f.rule}: ${f.object}${f.container ? ` container ${f.container}` : ''}: ${f.message}`;
}
