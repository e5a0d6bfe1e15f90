/**
 * The Pod Security Standard "restricted", which includes "baseline"
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, version "latest", 1.33+).
 */
import { containers, id } from '../manifests';
import { Rule, effective, perContainer, perPod, pods, volumeType, volumesOf } from './rule';

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

export const PSS_RULES: Rule[] = [
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
