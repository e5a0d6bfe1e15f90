/*
 * Every policy rule fires on a manifest that breaks it and stays quiet on one that does not: a good
 * baseline (a Deployment with its Service, ServiceAccount and PDB, a CronJob and a Pod) has no
 * findings, and each case below breaks exactly one thing. A rule without a case fails the suite.
 */
import { KUBE_LINTER_DEFAULT_CHECKS } from '@todo/k8s-templates';
import { K8sObject } from '../manifests';
import { RULES, checkPolicy, formatFinding } from '../policy';

const labels = { 'app.kubernetes.io/name': 'todo', 'app.kubernetes.io/component': 'api' };
const container = () => ({
  name: 'api',
  image: 'todo-api:1.2.3',
  imagePullPolicy: 'IfNotPresent',
  ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
  env: [{ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'JWT_SECRET' } } }, { name: 'LOG_LEVEL', value: 'info' }],
  startupProbe: { httpGet: { path: '/healthz', port: 'http' } },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
  readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 10001,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
});
const podSpec = () => ({
  serviceAccountName: 'api',
  automountServiceAccountToken: false,
  securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } } }],
    },
  },
  containers: [container()],
  volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }],
});

function baseline(): K8sObject[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api' } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'api' }, spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: labels } } },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'job' },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { metadata: { labels: { job: 'x' } }, spec: { ...podSpec(), affinity: undefined, restartPolicy: 'Never' } } } } },
    },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'test', labels: { test: 'x' } }, spec: { ...podSpec(), serviceAccountName: undefined, affinity: undefined } },
  ];
}

const deployment = (objs: K8sObject[]) => objs[0];
const pod = (objs: K8sObject[]) => deployment(objs).spec.template.spec;
const main = (objs: K8sObject[]) => pod(objs).containers[0];
const sc = (objs: K8sObject[]) => main(objs).securityContext;
const pdb = (objs: K8sObject[]) => objs[3];

/** rule id -> how to break it. */
const CASES: Record<string, (o: K8sObject[]) => void> = {
  'pss-host-process': (o) => (sc(o).windowsOptions = { hostProcess: true }),
  'pss-host-namespaces': (o) => (pod(o).hostPID = true),
  'pss-privileged': (o) => (sc(o).privileged = true),
  'pss-host-ports': (o) => (main(o).ports[0].hostPort = 8000),
  'pss-apparmor': (o) => (sc(o).appArmorProfile = { type: 'Unconfined' }),
  'pss-selinux': (o) => (pod(o).securityContext.seLinuxOptions = { type: 'spc_t' }),
  'pss-proc-mount': (o) => (sc(o).procMount = 'Unmasked'),
  'pss-sysctls': (o) => (pod(o).securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]),
  'pss-volume-types': (o) => pod(o).volumes.push({ name: 'host', hostPath: { path: '/var/data' } }),
  'pss-privilege-escalation': (o) => delete sc(o).allowPrivilegeEscalation,
  'pss-run-as-non-root': (o) => (sc(o).runAsNonRoot = false),
  'pss-run-as-user': (o) => (sc(o).runAsUser = 0),
  'pss-seccomp': (o) => (sc(o).seccompProfile = { type: 'Unconfined' }),
  'pss-capabilities': (o) => (sc(o).capabilities = { drop: ['ALL'], add: ['SYS_PTRACE'] }),
  'dangling-service': (o) => (o[1].spec.selector = { 'app.kubernetes.io/component': 'nothing' }),
  'deprecated-service-account-field': (o) => (pod(o).serviceAccount = 'api'),
  'docker-sock': (o) => pod(o).volumes.push({ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }),
  'drop-net-raw-capability': (o) => (sc(o).capabilities = { drop: ['SYS_ADMIN'] }),
  'duplicate-env-var': (o) => main(o).env.push({ name: 'LOG_LEVEL', value: 'debug' }),
  'env-var-secret': (o) => main(o).env.push({ name: 'MY_SECRET', value: 'hunter2' }),
  'host-ipc': (o) => (pod(o).hostIPC = true),
  'host-network': (o) => (pod(o).hostNetwork = true),
  'host-pid': (o) => (pod(o).hostPID = true),
  'invalid-target-ports': (o) => (o[1].spec.ports[0].targetPort = 'http_port_too_long'),
  'latest-tag': (o) => (main(o).image = 'todo-api:latest'),
  'liveness-port': (o) => (main(o).livenessProbe.httpGet.port = 'metrics'),
  'mismatching-selector': (o) => (deployment(o).spec.selector.matchLabels = { 'app.kubernetes.io/component': 'other' }),
  'no-anti-affinity': (o) => delete pod(o).affinity,
  'no-extensions-v1beta': (o) => (deployment(o).apiVersion = 'extensions/v1beta1'),
  'no-read-only-root-fs': (o) => (sc(o).readOnlyRootFilesystem = false),
  'non-existent-service-account': (o) => (pod(o).serviceAccountName = 'missing'),
  'pdb-max-unavailable': (o) => (pdb(o).spec.maxUnavailable = 0),
  'pdb-min-available': (o) => {
    delete pdb(o).spec.maxUnavailable;
    pdb(o).spec.minAvailable = 2;
  },
  'pdb-unhealthy-pod-eviction-policy': (o) => delete pdb(o).spec.unhealthyPodEvictionPolicy,
  'privilege-escalation-container': (o) => (sc(o).allowPrivilegeEscalation = true),
  'privileged-container': (o) => (sc(o).privileged = true),
  'readiness-port': (o) => (main(o).readinessProbe.httpGet.port = 9000),
  'run-as-non-root': (o) => {
    delete sc(o).runAsNonRoot;
    delete sc(o).runAsUser;
    delete pod(o).securityContext.runAsNonRoot;
    delete pod(o).securityContext.runAsUser;
  },
  'sensitive-host-mounts': (o) => pod(o).volumes.push({ name: 'etc', hostPath: { path: '/etc' } }),
  'ssh-port': (o) => main(o).ports.push({ name: 'ssh', containerPort: 22 }),
  'startup-port': (o) => (main(o).startupProbe = { tcpSocket: { port: 2222 } }),
  'unsafe-sysctls': (o) => (pod(o).securityContext.sysctls = [{ name: 'net.core.somaxconn', value: '1024' }]),
  'unset-cpu-requirements': (o) => delete main(o).resources.requests.cpu,
  'unset-memory-requirements': (o) => delete main(o).resources.limits,
  'image-pull-policy': (o) => (main(o).imagePullPolicy = 'Always'),
  'no-service-account-token': (o) => delete pod(o).automountServiceAccountToken,
};

it('the baseline passes every rule', () => {
  expect(checkPolicy(baseline()).map(formatFinding)).toEqual([]);
});

it('every rule has a case that breaks it', () => {
  expect(RULES.map((r) => r.id).filter((id) => !CASES[id])).toEqual([]);
});

it.each(RULES.map((r) => [r.id, r.source] as const))('%s (%s) fires on a manifest that breaks it', (ruleId) => {
  const objects = baseline();
  CASES[ruleId](objects);
  const findings = checkPolicy(objects);
  expect(findings.map((f) => f.rule)).toContain(ruleId);
  const f = findings.find((x) => x.rule === ruleId)!;
  expect(f.object).toMatch(/^(Deployment|Service|PodDisruptionBudget)\/api$/);
  expect(formatFinding(f)).toMatch(new RegExp(`^${ruleId}: `));
});

it('restricted rules also look at init containers, CronJobs and bare Pods', () => {
  const objects = baseline();
  pod(objects).initContainers = [{ ...container(), name: 'migrate', securityContext: { ...container().securityContext, runAsUser: 0 } }];
  objects[4].spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities = { drop: [] };
  objects[5].spec.hostNetwork = true;
  const findings = checkPolicy(objects).map(formatFinding);
  expect(findings).toEqual(
    expect.arrayContaining([
      'pss-run-as-user: Deployment/api container migrate: runAsUser is 0 (root)',
      'pss-capabilities: CronJob/job container api: capabilities.drop lacks ALL',
      'host-network: Pod/test: hostNetwork is true',
    ]),
  );
});

it('a pod-level setting counts for every container, a container may override it', () => {
  const objects = baseline();
  delete sc(objects).runAsNonRoot;
  delete sc(objects).seccompProfile;
  expect(checkPolicy(objects)).toEqual([]);
  sc(objects).runAsNonRoot = false;
  expect(checkPolicy(objects).map((f) => f.rule)).toEqual(['pss-run-as-non-root']);
});

it('implements exactly kube-linter\'s default checks (the list the chart README prints)', () => {
  expect(RULES.filter((r) => r.source === 'kube-linter').map((r) => r.id).sort()).toEqual([...KUBE_LINTER_DEFAULT_CHECKS].sort());
});

it('refuses to disable an unknown rule, and skips a disabled one', () => {
  expect(() => checkPolicy(baseline(), { disabled: ['no-such-rule'] })).toThrow(/Unknown policy rule "no-such-rule"/);
  const objects = baseline();
  CASES['latest-tag'](objects);
  expect(checkPolicy(objects, { disabled: ['latest-tag'] })).toEqual([]);
});
