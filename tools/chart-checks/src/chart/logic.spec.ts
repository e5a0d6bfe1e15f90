/*
 * The templates' logic, over `helm template` output of the committed chart: each database mode,
 * Ingress vs HTTPRoute, HPA on/off, existingSecrets, Groq, backup and restore, the helm test pod,
 * and bad values refused (by the schema or the chart's checks) with the expected message.
 * Runs with Helm 4 (helm.spec.ts shows Helm 3 renders the same) except where noted.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sObject } from '../manifests';
import { environments, find, kinds, rendered, scenario, templateError, withValues } from './suite';

const objects = (set: string[]) => rendered('helm4', withValues(set)).objects;
const local = () => rendered('helm4', environments[0]).objects;
const pod = (o: K8sObject) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.kind === 'Pod' ? o.spec : o.spec.template.spec);
const container = (o: K8sObject, name?: string) => {
  const p = pod(o);
  return [...(p.initContainers ?? []), ...p.containers].find((c: any) => name === undefined || c.name === name);
};
const env = (c: any, name: string) => (c.env ?? []).find((e: any) => e.name === name);
const policies = (objs: K8sObject[]) => Object.fromEntries(objs.filter((o) => o.kind === 'NetworkPolicy').map((o) => [o.metadata.name, o.spec]));

describe('database.mode=postgres (the default)', () => {
  const objs = local();
  const sts = find(objs, 'StatefulSet', 'todo-postgres');

  it('a StatefulSet of the official image, uid 999, restricted, read-only root, writable emptyDirs', () => {
    const c = container(sts, 'postgres');
    expect(c.image).toMatch(/^postgres:1[78]\.\d+/);
    expect(pod(sts).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/dev/shm', '/tmp', '/var/lib/postgresql', '/var/run/postgresql']);
    for (const probe of ['startupProbe', 'readinessProbe']) expect(c[probe].exec.command.slice(0, 3)).toEqual(['pg_isready', '--host', '127.0.0.1']);
    // Liveness is distinct: the server answering on its local socket at all (exit 0 or 1) keeps it alive.
    expect(c.livenessProbe.exec.command).not.toEqual(c.readinessProbe.exec.command);
    expect(c.livenessProbe.exec.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.livenessProbe.exec.command[2]).toMatch(/^pg_isready --host \/var\/run\/postgresql .*; \[ \$\? -le 1 \]$/);
  });

  it('data on a volumeClaimTemplate that is retained on uninstall and scale-down; a headless Service', () => {
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(find(objs, 'Service', 'todo-postgres').spec.clusterIP).toBe('None');
    const custom = find(objects(['database.postgres.persistence.storageClass=fast', 'database.postgres.persistence.size=5Gi']), 'StatefulSet');
    expect(custom.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } });
  });

  it('the backend waits for the database and migrates in init containers, DATABASE_URL composed from the Secret', () => {
    const backend = find(objs, 'Deployment', 'todo-backend');
    expect(pod(backend).initContainers.map((c: any) => c.name)).toEqual(['wait-for-database', 'migrate']);
    expect(container(backend, 'migrate').command).toEqual(['python', '-m', 'todo_api.migrate']);
    const c = container(backend, 'backend');
    expect(env(c, 'DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: 'POSTGRES_PASSWORD' });
    expect(env(c, 'DATABASE_URL').value).toBe('postgresql://todo:$(DATABASE_PASSWORD)@todo-postgres:5432/todo');
    expect(env(c, 'JWT_SECRET').valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: 'JWT_SECRET' });
    expect(backend.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });

  it('one Secret, generated, kept on uninstall; no secret in a ConfigMap', () => {
    const secret = find(objs, 'Secret', 'todo-secrets');
    expect(Object.keys(secret.data!).sort()).toEqual(['JWT_SECRET', 'POSTGRES_PASSWORD']);
    expect(Buffer.from(secret.data!.JWT_SECRET, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(secret.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(find(objects(['secrets.keepOnUninstall=false']), 'Secret').metadata.annotations).toBeUndefined();
    const cm = find(objs, 'ConfigMap', 'todo-backend');
    expect(cm.data).toMatchObject({ APP_ENV: 'production', AI_PROVIDER: 'mock', PORT: '8000', LOG_LEVEL: 'info' });
    expect(Object.keys(cm.data!).filter((k) => /SECRET|PASSWORD|KEY|DATABASE_URL/.test(k))).toEqual([]);
  });

  it('network policies: default deny, controller -> frontend -> backend -> postgres, DNS, nothing to the internet', () => {
    const np = policies(objs);
    expect(np['todo-default-deny']).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(np['todo-frontend'].ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'traefik' });
    expect(np['todo-frontend'].egress[0].to[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('backend');
    expect(np['todo-backend'].ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('frontend');
    expect(np['todo-backend'].egress).toEqual([{ to: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'postgres' }) } }], ports: [{ protocol: 'TCP', port: 5432 }] }]);
    expect(np['todo-postgres'].ingress[0].from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/component'])).toEqual(['backend', 'backup']);
    expect(np['todo-allow-dns'].egress[0].ports).toEqual([{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    expect(JSON.stringify(np)).not.toContain('ipBlock');
  });
});

describe('configuration that cannot be weakened by accident', () => {
  it.each([
    ['services.backend.extraEnv.APP_ENV=test', /services\.backend\.extraEnv\.APP_ENV is "test": test mode hashes passwords cheaply/],
    ['services.backend.extraEnv.APP_ENV=Testing', /services\.backend\.extraEnv\.APP_ENV is "Testing"/],
    ['services.frontend.extraEnv.APP_ENV=test', /services\.frontend\.extraEnv\.APP_ENV/],
    ['services.backend.extraEnv.JWT_SECRET=short', /services\.backend\.extraEnv\.JWT_SECRET is set: a secret never goes in a values file/],
  ])('refuses %s', (set, message) => {
    expect(templateError('helm4', withValues([set]))).toMatch(message);
  });

  it("limits.* become the API's environment (shared throttles, signups, chat budget); bad ones are refused by the schema", () => {
    expect(find(local(), 'ConfigMap', 'todo-backend').data).toMatchObject({
      LOGIN_FREE_FAILURES: '5', LOGIN_LOCKOUT_FAILURES: '100', LOGIN_FAILURES_PER_ADDRESS: '30', SIGNUPS_PER_ADDRESS: '10', SIGNUPS_TOTAL: '1000', CHAT_REQUESTS_PER_MINUTE: '20',
      MAX_TASKS_PER_USER: '10000', MAX_TASK_TEXT_BYTES_PER_USER: '10485760', DB_STATEMENT_TIMEOUT_MS: '5000',
    });
    expect(find(objects(['limits.signup.perAddress=3', 'limits.login.freeFailures=2', 'limits.tasksPerUser=50', 'database.statementTimeoutMs=0']), 'ConfigMap', 'todo-backend').data).toMatchObject({ SIGNUPS_PER_ADDRESS: '3', LOGIN_FREE_FAILURES: '2', MAX_TASKS_PER_USER: '50', DB_STATEMENT_TIMEOUT_MS: '0' });
    expect(find(local(), 'ConfigMap', 'todo-frontend').data!.SIGNUPS_PER_ADDRESS).toBeUndefined();
    expect(templateError('helm4', withValues(['limits.login.lockoutFailures=500']))).toMatch(/lockoutFailures/);
  });

  it("limits.proxyInflightBytes is the frontend proxy's in-flight body budget (PROXY_MAX_INFLIGHT_BYTES), not the API's; a tiny one is refused", () => {
    expect(find(local(), 'ConfigMap', 'todo-frontend').data!.PROXY_MAX_INFLIGHT_BYTES).toBe('16777216');
    expect(find(objects(['limits.proxyInflightBytes=4194304']), 'ConfigMap', 'todo-frontend').data!.PROXY_MAX_INFLIGHT_BYTES).toBe('4194304');
    expect(find(local(), 'ConfigMap', 'todo-backend').data!.PROXY_MAX_INFLIGHT_BYTES).toBeUndefined();
    expect(templateError('helm4', withValues(['limits.proxyInflightBytes=1000']))).toMatch(/proxyInflightBytes/);
  });

  it('APP_ENV production (the default, or said again in extraEnv) renders', () => {
    expect(find(objects(['services.backend.extraEnv.APP_ENV=production']), 'ConfigMap', 'todo-backend').data!.APP_ENV).toBe('production');
  });

  it('X-Forwarded-For is believed only from the pod network (kind: 10.244.0.0/16), never the nodes\' or clients\' ranges', () => {
    const cm = find(local(), 'ConfigMap', 'todo-backend');
    expect(cm.data!.TRUSTED_PROXIES).toBe('10.244.0.0/16,fd00:10:244::/56');
    expect(cm.data!.TRUSTED_PROXIES).not.toMatch(/172\.16|192\.168|10\.0\.0\.0\/8/);
  });
});

describe('database.mode=sqlite', () => {
  const objs = rendered('helm4', scenario('sqlite')).objects;

  it('a kept PVC at /data for the single backend replica, Recreate, DATABASE_URL in the ConfigMap, no postgres', () => {
    const pvc = find(objs, 'PersistentVolumeClaim', 'todo-backend-data');
    expect(pvc.metadata.annotations!['helm.sh/resource-policy']).toBe('keep');
    const backend = find(objs, 'Deployment', 'todo-backend');
    expect(backend.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(pod(backend).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'todo-backend-data' } });
    expect(container(backend, 'backend').volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(pod(backend).initContainers.map((c: any) => c.name)).toEqual(['migrate']);
    expect(find(objs, 'ConfigMap', 'todo-backend').data!.DATABASE_URL).toBe('sqlite:////data/todo.db');
    expect(kinds(objs).filter((k) => k.includes('postgres'))).toEqual([]);
    expect(Object.keys(find(objs, 'Secret').data!)).toEqual(['JWT_SECRET']);
    const own = objects(['database.mode=sqlite', 'database.sqlite.persistence.existingClaim=my-data']);
    expect(kinds(own).some((k) => k.startsWith('PersistentVolumeClaim/'))).toBe(false);
    expect(pod(find(own, 'Deployment', 'todo-backend')).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'my-data' } });
  });

  it.each([
    ['two replicas', ['services.backend.replicaCount=2'], 'database.mode is sqlite, so services.backend.replicaCount must be 1, not 2'],
    ['autoscaling', ['services.backend.autoscaling.enabled=true'], 'database.mode is sqlite, so services.backend.autoscaling.enabled must be false'],
    ['backups', ['backup.enabled=true'], 'backup.enabled needs database.mode postgres or external'],
  ])('refuses %s with a clear message', (_label, set, message) => {
    expect(templateError('helm4', scenario('sqlite'), set.flatMap((s) => ['--set', s]))).toContain(message);
    expect(templateError('helm3', scenario('sqlite'), set.flatMap((s) => ['--set', s]))).toContain(message);
  });
});

describe('database.mode=external', () => {
  const objs = rendered('helm4', scenario('external-groq')).objects;

  it('DATABASE_URL from the given Secret, PGSSLMODE=require, egress to the database port outside the cluster', () => {
    const c = container(find(objs, 'Deployment', 'todo-backend'), 'backend');
    expect(env(c, 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({ name: 'todo-database', key: 'DATABASE_URL' });
    expect(find(objs, 'ConfigMap', 'todo-backend').data!.PGSSLMODE).toBe('require');
    const egress = policies(objs)['todo-backend'].egress;
    expect(egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(kinds(objs).some((k) => k.startsWith('StatefulSet'))).toBe(false);
  });

  it('refuses external mode without a Secret', () => {
    expect(templateError('helm4', withValues(['database.mode=external']))).toContain('database.external.existingSecret is required when database.mode is external');
  });
});

describe('AI provider', () => {
  it('groq with an existingSecret: GROQ_API_KEY from it, HTTPS egress outside the cluster only', () => {
    const objs = rendered('helm4', scenario('external-groq')).objects;
    const c = container(find(objs, 'Deployment', 'todo-backend'), 'backend');
    expect(env(c, 'GROQ_API_KEY').valueFrom.secretKeyRef).toEqual({ name: 'todo-groq', key: 'GROQ_API_KEY' });
    expect(policies(objs)['todo-backend'].egress[1]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
    const custom = policies(objects(['ai.provider=groq', 'ai.groq.existingSecret=k', 'ai.groq.egressCidrs[0]=203.0.113.0/24']))['todo-backend'];
    expect(custom.egress[1].to).toEqual([{ ipBlock: { cidr: '203.0.113.0/24' } }]);
  });

  it('groq with --set ai.groq.apiKey: stored in the chart Secret', () => {
    const objs = rendered('helm4', scenario('groq-apikey')).objects;
    expect(Buffer.from(find(objs, 'Secret').data!.GROQ_API_KEY, 'base64').toString()).toBe('gsk_not_a_real_key');
    expect(env(container(find(objs, 'Deployment', 'todo-backend'), 'backend'), 'GROQ_API_KEY').valueFrom.secretKeyRef.name).toBe('todo-secrets');
  });

  it('groq without a key is refused', () => {
    expect(templateError('helm4', withValues(['ai.provider=groq']))).toContain('ai.provider is groq but no API key is given');
  });
});

describe('existingSecret', () => {
  it('auth and postgres passwords from existing Secrets: the chart makes no Secret', () => {
    const objs = rendered('helm4', scenario('existing-secrets')).objects;
    expect(kinds(objs).some((k) => k.startsWith('Secret/'))).toBe(false);
    const c = container(find(objs, 'Deployment', 'todo-backend'), 'backend');
    expect(env(c, 'JWT_SECRET').valueFrom.secretKeyRef).toEqual({ name: 'todo-auth', key: 'JWT_SECRET' });
    expect(env(c, 'DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'todo-postgres', key: 'POSTGRES_PASSWORD' });
    expect(env(container(find(objs, 'StatefulSet'), 'postgres'), 'POSTGRES_PASSWORD').valueFrom.secretKeyRef.name).toBe('todo-postgres');
  });

  it('only auth from an existing Secret: the chart still generates the database password', () => {
    const secret = find(objects(['auth.existingSecret=todo-auth']), 'Secret');
    expect(Object.keys(secret.data!)).toEqual(['POSTGRES_PASSWORD']);
  });

  it('a new existingSecret rolls the pods (checksum/secret)', () => {
    const a = find(local(), 'Deployment', 'todo-backend').spec.template.metadata.annotations['checksum/secret'];
    const b = find(objects(['auth.existingSecret=other']), 'Deployment', 'todo-backend').spec.template.metadata.annotations['checksum/secret'];
    expect(a).toMatch(/^[a-f0-9]{64}$/);
    expect(b).not.toBe(a);
  });
});

describe('traffic', () => {
  it('Ingress of class traefik routing / to the frontend, no nginx anything', () => {
    const ing = find(local(), 'Ingress');
    expect(ing.spec.ingressClassName).toBe('traefik');
    expect(ing.spec.rules[0].http.paths).toEqual([{ path: '/', pathType: 'Prefix', backend: { service: { name: 'todo-frontend', port: { name: 'http' } } } }]);
    expect(JSON.stringify(local())).not.toMatch(/nginx/i);
  });

  it('/api routed to the backend when configured, and the backend opened to the controller', () => {
    const objs = objects(['services.backend.ingressPath=/api']);
    expect(find(objs, 'Ingress').spec.rules[0].http.paths.map((p: any) => `${p.path} ${p.backend.service.name}`)).toEqual(['/api todo-backend', '/ todo-frontend']);
    expect(policies(objs)['todo-backend'].ingress[0].from[0].namespaceSelector).toBeDefined();
  });

  it('HTTPRoute instead of the Ingress', () => {
    const objs = rendered('helm4', scenario('httproute-hpa')).objects;
    const route = find(objs, 'HTTPRoute');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.parentRefs).toEqual([{ name: 'traefik-gateway', namespace: 'traefik' }]);
    expect(route.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'todo-frontend', port: 3000 }] }]);
    expect(kinds(objs).some((k) => k.startsWith('Ingress/'))).toBe(false);
  });

  it('TLS with a named certificate Secret', () => {
    const objs = rendered('helm4', scenario('existing-secrets')).objects;
    expect(find(objs, 'Ingress').spec.tls).toEqual([{ hosts: ['todo.localhost'], secretName: 'todo-tls' }]);
    // With TLS the frontend redirects plain HTTP to HTTPS and sends HSTS; without, it does neither.
    expect(find(objs, 'ConfigMap', 'todo-frontend').data!.FORCE_HTTPS).toBe('true');
    expect(find(local(), 'ConfigMap', 'todo-frontend').data!.FORCE_HTTPS).toBeUndefined();
  });

  it.each([
    ['Ingress and HTTPRoute both on', ['httpRoute.enabled=true'], 'ingress.enabled and httpRoute.enabled are both true: pick one'],
    ['TLS without a Secret', ['ingress.tls.enabled=true'], 'ingress.tls.secretName is required when ingress.tls.enabled is true'],
    ['routing with nothing routed', ['services.frontend.ingressPath='], 'no enabled service has an ingressPath'],
  ])('refuses %s', (_label, set, message) => {
    expect(templateError('helm4', withValues(set))).toContain(message);
  });
});

describe('replicas and autoscaling', () => {
  it('HPA off: replicas from the values, no HPA; topology spread and soft anti-affinity', () => {
    // local: one fixed replica per service (docs/scaling.md: a 2-CPU laptop and the dev loop).
    const objs = rendered('helm4', environments.find((e) => e.name === 'env:local')!).objects;
    const d = find(objs, 'Deployment', 'todo-frontend');
    expect(d.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(kinds(objs).some((k) => k.startsWith('HorizontalPodAutoscaler'))).toBe(false);
    expect(pod(d).topologySpreadConstraints.map((t: any) => `${t.topologyKey} ${t.whenUnsatisfiable}`)).toEqual([
      'topology.kubernetes.io/zone ScheduleAnyway',
      'kubernetes.io/hostname ScheduleAnyway',
    ]);
    expect(pod(d).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
  });

  it('HPA on: autoscaling/v2 on CPU (and memory), and the Deployment leaves replicas to it', () => {
    const objs = rendered('helm4', scenario('httproute-hpa')).objects;
    for (const name of ['todo-backend', 'todo-frontend']) {
      expect(find(objs, 'Deployment', name).spec.replicas).toBeUndefined();
      const hpa = find(objs, 'HorizontalPodAutoscaler', name);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name } });
      expect(hpa.spec.metrics.map((m: any) => m.resource.name)).toEqual(['cpu', 'memory']);
    }
  });

  it('dev autoscales every service from its 2 replicas to 4, out at once and in after 5 minutes', () => {
    const objs = rendered('helm4', environments.find((e) => e.name === 'env:dev')!).objects;
    for (const name of ['todo-backend', 'todo-frontend']) {
      expect(find(objs, 'Deployment', name).spec.replicas).toBeUndefined();
      const hpa = find(objs, 'HorizontalPodAutoscaler', name);
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
      expect(hpa.spec.behavior).toMatchObject({ scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 300 } });
    }
  });

  it('refuses minReplicas above maxReplicas', () => {
    expect(templateError('helm4', withValues(['services.frontend.autoscaling.enabled=true', 'services.frontend.autoscaling.minReplicas=6']))).toContain(
      'services.frontend.autoscaling.minReplicas (6) is greater than maxReplicas (5)',
    );
  });

  it('a terminating pod keeps serving for drainSeconds (preStop sleep) before SIGTERM; 0 turns it off; it must end within the grace period', () => {
    for (const name of ['todo-backend', 'todo-frontend'])
      expect(container(find(local(), 'Deployment', name), name.replace('todo-', '')).lifecycle).toEqual({ preStop: { sleep: { seconds: 3 } } });
    expect(container(find(objects(['services.backend.drainSeconds=0']), 'Deployment', 'todo-backend'), 'backend').lifecycle).toBeUndefined();
    expect(templateError('helm4', withValues(['services.backend.drainSeconds=30']))).toContain(
      'services.backend.drainSeconds (30) must be less than its terminationGracePeriodSeconds (30)',
    );
  });

  it('database.poolSize becomes DB_POOL_SIZE; the API pods may not ask the in-cluster PostgreSQL for more than 90 connections', () => {
    expect(find(local(), 'ConfigMap', 'todo-backend').data!.DB_POOL_SIZE).toBe('8');
    // Two pools per pod: 2 x 8 x maxReplicas 5 = 80 fits, 2 x 10 x 5 = 100 does not.
    expect(find(objects(['services.backend.autoscaling.enabled=true']), 'HorizontalPodAutoscaler', 'todo-backend').spec.maxReplicas).toBe(5);
    expect(templateError('helm4', withValues(['services.backend.autoscaling.enabled=true', 'database.poolSize=10']))).toContain(
      'up to 100 PostgreSQL connections (2 pools x database.poolSize 10 x the API pods, maxReplicas with autoscaling), more than the 90',
    );
  });

  it('PDBs allow disruption and evict unhealthy pods', () => {
    expect(find(local(), 'PodDisruptionBudget', 'todo-backend').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });
});

describe('configuration rolls the pods', () => {
  it('checksum/config changes with the ConfigMap only', () => {
    const sum = (objs: K8sObject[], name: string) => find(objs, 'Deployment', name).spec.template.metadata.annotations['checksum/config'];
    const debug = objects(['config.logLevel=debug']);
    expect(sum(debug, 'todo-backend')).not.toBe(sum(local(), 'todo-backend'));
    expect(sum(objects(['services.backend.replicaCount=1']), 'todo-backend')).toBe(sum(local(), 'todo-backend'));
  });
});

describe('backup and restore', () => {
  const objs = rendered('helm4', scenario('backup')).objects;

  it('a CronJob running pg_dump -Fc into a kept PVC, never overlapping, keeping the newest N', () => {
    const cron = find(objs, 'CronJob', 'todo-backup');
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid' });
    const c = container(cron, 'pg-dump');
    expect(c.args[0]).toContain('pg_dump --format=custom');
    expect(c.args[0]).toContain('tail -n +$((KEEP + 1))');
    expect(env(c, 'KEEP').value).toBe('7');
    expect(env(c, 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: 'POSTGRES_PASSWORD' });
    expect(pod(cron).volumes[0]).toEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'todo-backup' } });
    expect(c.args[0]).toContain('rm -f "$dir"/*.partial');
    expect(c.args[0]).toContain('pg_restore --list "$file.partial"');
    expect(env(c, 'VOLUME_SIZE').value).toBe('2Gi');
    expect(find(objs, 'PersistentVolumeClaim', 'todo-backup').metadata.annotations!['helm.sh/resource-policy']).toBe('keep');
    expect(policies(objs)['todo-backup'].egress[0].to[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('postgres');
  });

  describe('the backup script, run for real (sh, the real pg_restore; pg_dump a stand-in writing what it is told)', () => {
    const script = container(find(objs, 'CronJob', 'todo-backup'), 'pg-dump').args[0] as string;
    const pgRestore = spawnSync('sh', ['-c', 'command -v pg_restore']).stdout.toString().trim();
    let root: string;
    let dir: string;
    let bin: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'backup-script-'));
      dir = join(root, 'backups');
      bin = join(root, 'bin');
      mkdirSync(dir);
      mkdirSync(bin);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    /** pg_dump stand-in: records the dumps present when it starts, then writes DUMP_BYTES bytes (or copies DUMP_FROM). */
    const run = (env: Record<string, string>, restore = pgRestore) => {
      writeFileSync(
        join(bin, 'pg_dump'),
        '#!/bin/sh\nls "$BACKUP_DIR" > "$BACKUP_DIR/../seen"\nfor a; do case "$a" in --file=*) f="${a#--file=}";; esac; done\n' +
          'if [ -n "${DUMP_FROM:-}" ]; then cp "$DUMP_FROM" "$f"; else head -c "$DUMP_BYTES" /dev/zero > "$f"; fi\n',
      );
      chmodSync(join(bin, 'pg_dump'), 0o755);
      writeFileSync(join(bin, 'pg_restore'), `#!/bin/sh\nexec ${restore} "$@"\n`);
      chmodSync(join(bin, 'pg_restore'), 0o755);
      return spawnSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, BACKUP_DIR: dir, TMPDIR: root, KEEP: '7', ...env }, encoding: 'utf8' });
    };
    const dump = (name: string, kib: number) => writeFileSync(join(dir, name), Buffer.alloc(kib * 1024));

    it('a dump pg_restore --list cannot read fails the Job and leaves no file; the older backups stay', () => {
      dump('todo-20261101T030000Z.dump', 4);
      const r = run({ DUMP_BYTES: '4096' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('backup check failed: pg_restore --list cannot read the dump');
      expect(readdirSync(dir)).toEqual(['todo-20261101T030000Z.dump']);
    });

    it('before the run, the oldest dumps go until one more fits in VOLUME_SIZE (the newest is kept)', () => {
      for (const day of ['01', '02', '03', '04']) dump(`todo-202611${day}T030000Z.dump`, 200);
      // An 800 KiB volume, full with 800 KiB stored, the next dump estimated at 250 KiB: two of the oldest must go.
      const fakeRestore = join(root, 'fake-restore');
      writeFileSync(fakeRestore, '#!/bin/sh\necho "1; 2615 0 0 TABLE DATA public tasks todo"\n');
      chmodSync(fakeRestore, 0o755);
      const r = run({ DUMP_BYTES: String(200 * 1024), VOLUME_SIZE: '800Ki' }, fakeRestore);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('the volume would not hold one more dump');
      const seen = spawnSync('cat', [join(root, 'seen')], { encoding: 'utf8' }).stdout.trim().split('\n');
      expect(seen).toEqual(['todo-20261103T030000Z.dump', 'todo-20261104T030000Z.dump']);
      expect(readdirSync(dir).filter((f) => f.endsWith('.dump'))).toHaveLength(3);
      expect(r.stdout).toContain('checked: pg_restore --list reads 1 entries');
    });

    it('with room to spare nothing is removed before the run', () => {
      dump('todo-20261101T030000Z.dump', 4);
      const fakeRestore = join(root, 'fake-restore');
      writeFileSync(fakeRestore, '#!/bin/sh\necho "1; 2615 0 0 TABLE DATA public tasks todo"\n');
      chmodSync(fakeRestore, 0o755);
      const r = run({ DUMP_BYTES: '4096', VOLUME_SIZE: '2Gi' }, fakeRestore);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('would not hold');
      expect(readdirSync(dir).filter((f) => f.endsWith('.dump'))).toHaveLength(2);
    });
  });

  it('the database pod mounts the backup PVC read-only (binds it for helm --wait), and backup pods follow it to its node', () => {
    const sts = find(objs, 'StatefulSet', 'todo-postgres');
    expect(pod(sts).volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'todo-backup', readOnly: true } });
    expect(container(sts, 'postgres').volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups', readOnly: true });
    const affinity = pod(find(objs, 'CronJob')).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(affinity.topologyKey).toBe('kubernetes.io/hostname');
    expect(affinity.labelSelector.matchLabels['app.kubernetes.io/component']).toBe('postgres');
    expect(pod(find(local(), 'StatefulSet')).volumes.some((v: any) => v.name === 'backups')).toBe(false);
  });

  it('an existingClaim replaces the chart PVC; external mode requires one', () => {
    const own = objects(['backup.enabled=true', 'backup.persistence.existingClaim=my-backups']);
    expect(kinds(own).some((k) => k.startsWith('PersistentVolumeClaim/'))).toBe(false);
    expect(pod(find(own, 'CronJob')).volumes[0].persistentVolumeClaim.claimName).toBe('my-backups');
    expect(templateError('helm4', withValues(['database.mode=external', 'database.external.existingSecret=db', 'backup.enabled=true']))).toContain(
      'backup.enabled with database.mode external needs backup.persistence.existingClaim',
    );
  });

  it('no restore Job in a normal render', () => {
    expect(kinds(objs).some((k) => k.startsWith('Job/'))).toBe(false);
  });

  it('the restore Job: the schema replaced by the newest dump (or a named one) in one transaction, same security and network rules', () => {
    const job = find(rendered('helm4', scenario('restore')).objects, 'Job');
    expect(job.metadata.name).toBe('todo-restore-check');
    expect(job.metadata.labels!['app.kubernetes.io/component']).toBe('backup');
    const c = container(job, 'pg-restore');
    expect(c.args[0]).toContain('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    expect(c.args[0]).toContain('psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction');
    expect(env(c, 'RESTORE_FILE').value).toBe('latest');
    expect(c.volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups', readOnly: true });
    const named = find(objects(['backup.enabled=true', 'backup.restore.file=todo-20260101T030000Z.dump']), 'Job');
    expect(env(container(named), 'RESTORE_FILE').value).toBe('todo-20260101T030000Z.dump');
  });

  it('external mode dumps through the URL Secret with PGSSLMODE', () => {
    const c = container(find(rendered('helm4', scenario('external-groq')).objects, 'CronJob'), 'pg-dump');
    expect(c.args[0]).toContain('--dbname="$DATABASE_URL"');
    expect(env(c, 'PGSSLMODE').value).toBe('require');
    expect(pod(find(rendered('helm4', scenario('external-groq')).objects, 'CronJob')).affinity).toBeUndefined();
  });
});

describe('helm test', () => {
  it('a restricted pod of the backend image calling every service through its Service', () => {
    const objs = local();
    const t = find(objs, 'Pod', 'todo-test');
    expect(t.metadata.annotations!['helm.sh/hook']).toBe('test');
    const c = container(t, 'check');
    expect(c.image).toBe(container(find(objs, 'Deployment', 'todo-backend'), 'backend').image);
    expect(c.args).toEqual(['http://todo-backend:8000/readyz', 'http://todo-frontend:3000/api/ready']);
    expect(policies(objs)['todo-test'].egress.map((e: any) => e.ports[0].port)).toEqual([8000, 3000]);
    expect(kinds(objects(['tests.enabled=false'])).some((k) => k.startsWith('Pod/'))).toBe(false);
  });
});

describe('probes and resources', () => {
  it.each([
    ['todo-backend', '/healthz', '/readyz'],
    ['todo-frontend', '/api/health', '/api/ready'],
  ])('%s: startup, liveness %s, readiness %s; requests and a memory limit', (name, live, ready) => {
    const c = container(find(local(), 'Deployment', name), name.replace('todo-', ''));
    expect(c.livenessProbe.httpGet.path).toBe(live);
    expect(c.readinessProbe.httpGet.path).toBe(ready);
    // Busy is not dead: readiness takes a slow pod out of the Service well before liveness would restart it.
    const patience = (p: any) => p.periodSeconds * p.failureThreshold + p.timeoutSeconds;
    expect(patience(c.livenessProbe)).toBeGreaterThanOrEqual(3 * patience(c.readinessProbe));
    expect(c.livenessProbe.timeoutSeconds).toBeGreaterThan(c.readinessProbe.timeoutSeconds - 1);
    expect(c.startupProbe.httpGet.port).toBe('http');
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toBeDefined();
  });

  it('the frontend has a writable .next/cache and HOSTNAME=0.0.0.0, BACKEND_URL to the backend Service', () => {
    const objs = local();
    expect(container(find(objs, 'Deployment', 'todo-frontend')).volumeMounts).toContainEqual({ name: 'next-cache', mountPath: '/app/apps/frontend/.next/cache' });
    expect(find(objs, 'ConfigMap', 'todo-frontend').data).toMatchObject({ HOSTNAME: '0.0.0.0', BACKEND_URL: 'http://todo-backend:8000', PORT: '3000' });
  });
});

describe('bad values are refused by values.schema.json with a clear message (Helm 3 and 4)', () => {
  it.each([
    ['wrong type', 'services.backend.replicaCount=two', /services\/backend\/replicaCount'?: got string, want integer/],
    ['unknown top-level key', 'foo=1', /additional properties 'foo' not allowed/],
    ['unknown nested key (a typo)', 'ingress.clasName=x', /additional properties 'clasName' not allowed/],
    ['bad database mode', 'database.mode=mysql', /database\/mode'?: value must be one of 'postgres', 'sqlite', 'external'/],
    ['bad AI provider', 'ai.provider=openai', /ai\/provider'?: value must be one of 'mock', 'groq'/],
    ['image tag latest', 'services.frontend.image.tag=latest', /services\/frontend\/image\/tag'?: 'not' failed/],
    ['bad log level', 'config.logLevel=verbose', /config\/logLevel'?: value must be one of/],
    ['privileged port', 'services.frontend.port=80', /services\/frontend\/port'?: minimum: got 80, want 1,?024/],
    ['PDB that blocks drains', 'services.backend.podDisruptionBudget.maxUnavailable=0', /services\/backend\/podDisruptionBudget\/maxUnavailable/],
    ['bad anti-affinity preset', 'services.backend.podAntiAffinityPreset=always', /podAntiAffinityPreset'?: value must be one of 'soft', 'hard', 'none'/],
    ['bad retention', 'database.postgres.persistence.retention.whenDeleted=Keep', /whenDeleted'?: value must be one of 'Retain', 'Delete'/],
  ])('%s', (_label, set, message) => {
    for (const helm of ['helm3', 'helm4'] as const) {
      const err = templateError(helm, withValues([set]));
      expect([helm, err]).toEqual([helm, expect.stringMatching(message)]);
    }
  });
});
