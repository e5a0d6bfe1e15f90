/*
 * The rendered chart is valid Helm: `helm lint --strict` and `helm template` pass with Helm 3 and
 * Helm 4 for every environment fixture, and the manifests hold the security baseline.
 */
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { renderChart } from '../index';
import { chart, environments, worker } from './fixtures';
import { helm, helmBinary, writeTree } from './helm';

type Manifest = { kind: string; apiVersion: string; metadata: { name: string }; spec?: any; data?: any };

const KUBE_VERSIONS = ['1.33.0', '1.34.0', '1.37.0'];
const HELMS: Array<[string, 3 | 4]> = [
  ['helm3', 3],
  ['helm4', 4],
];
let bins: Record<3 | 4, string>;
let dir: string;

beforeAll(() => {
  bins = { 3: helmBinary(3), 4: helmBinary(4) };
  const files = renderChart({ ...chart, services: [...chart.services, worker], environments });
  dir = join(writeTree(files, undefined), '');
}, 900_000);

function template(major: 3 | 4, env: string, extra: string[] = [], kubeVersion = '1.34.0') {
  return helm(bins[major], [
    'template', 'todo', dir, '--namespace', `todo-${env}`, '--kube-version', kubeVersion,
    '-f', join(dir, `values-${env}.yaml`), ...extra,
  ]);
}

function manifests(output: string): Manifest[] {
  return parseAllDocuments(output)
    .map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Manifest;
    })
    .filter(Boolean);
}

describe.each(HELMS)('%s', (_label, major) => {
  it.each(environments.map((e) => e.name))('lint --strict and template pass for values-%s.yaml', (env) => {
    const lint = helm(bins[major], ['lint', '--strict', dir, '-f', join(dir, `values-${env}.yaml`), '--kube-version', '1.34.0']);
    expect(lint.output).toContain('0 chart(s) failed');
    expect(lint.ok).toBe(true);
    for (const kv of KUBE_VERSIONS) {
      const t = template(major, env, [], kv);
      expect([env, kv, t.ok, t.ok ? '' : t.output]).toEqual([env, kv, true, '']);
    }
  });

  it('the migrations hash goes on the pod template; without a rolled-out Deployment carrying it (here: no cluster, lookup answers nothing) new pods migrate', () => {
    const backend = (extra: string[]) => manifests(template(major, 'local', extra).output).find((d) => d.kind === 'Deployment' && d.metadata.name === 'todo-backend')!;
    const withHash = backend(['--set', 'services.backend.migrations.hash=0123abcd']);
    expect(withHash.spec.template.metadata.annotations['todo.dev/migrations']).toBe('0123abcd');
    expect(withHash.spec.template.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['wait-for-database', 'migrate']);
    const without = backend([]);
    expect(without.spec.template.metadata.annotations['todo.dev/migrations']).toBeUndefined();
    expect(without.spec.template.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['wait-for-database', 'migrate']);
    expect(template(major, 'local', ['--set', 'services.backend.migrations.hash=Not-Hex']).output).toMatch(/hash/);
  });

  it('refuses a Kubernetes version outside the chart kubeVersion range', () => {
    const t = template(major, 'local', [], '1.32.0');
    expect(t.ok).toBe(false);
    expect(t.output).toMatch(/kubeVersion/);
  });

  it('local: the security baseline on every workload', () => {
    const docs = manifests(template(major, 'local').output);
    const workloads = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
    expect(workloads.map((d) => d.metadata.name).sort()).toEqual(['todo-backend', 'todo-frontend', 'todo-postgres', 'todo-worker']);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.imagePullPolicy).toBe('IfNotPresent');
        expect(c.image).not.toMatch(/:latest$/);
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        // Helm 4 applies server-side: a duplicate env name is an error there.
        const names = (c.env ?? []).map((e: { name: string }) => e.name);
        expect(new Set(names).size).toBe(names.length);
      }
      const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
      for (const v of pod.volumes ?? []) expect(allowed).toContain(Object.keys(v).find((k) => k !== 'name'));
    }
    const deployments = workloads.filter((w) => w.kind === 'Deployment');
    for (const d of deployments) {
      expect(d.spec.template.metadata.annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
      const c = d.spec.template.spec.containers[0];
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['livenessProbe', 'readinessProbe', 'startupProbe', 'resources']));
    }
    const frontend = deployments.find((d) => d.metadata.name === 'todo-frontend')!;
    expect(frontend.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'next-cache', mountPath: '/app/apps/frontend/.next/cache' });
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Service/todo-backend', 'ServiceAccount/todo-frontend', 'PodDisruptionBudget/todo-backend', 'Ingress/todo',
        'NetworkPolicy/todo-default-deny', 'NetworkPolicy/todo-allow-dns', 'NetworkPolicy/todo-frontend',
        'ConfigMap/todo-frontend', 'Secret/todo-secrets', 'Service/todo-postgres', 'Pod/todo-test',
      ]),
    );
    const ingress = docs.find((d) => d.kind === 'Ingress')!;
    expect(ingress.spec.ingressClassName).toBe('traefik');
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'todo-frontend')!;
    expect(cm.data.BACKEND_URL).toBe('http://todo-backend:8000');
  });

  it('network policies: ingress controller -> frontend -> backend -> postgres', () => {
    const docs = manifests(template(major, 'local').output).filter((d) => d.kind === 'NetworkPolicy');
    const byName = Object.fromEntries(docs.map((d) => [d.metadata.name, d.spec]));
    expect(byName['todo-default-deny'].policyTypes).toEqual(['Ingress', 'Egress']);
    expect(byName['todo-frontend'].ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'traefik' });
    expect(byName['todo-backend'].ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('frontend');
    expect(byName['todo-backend'].egress[0].to[0].podSelector.matchLabels['app.kubernetes.io/component']).toBe('postgres');
    // Nobody calls the worker: only the helm test pod may reach it.
    expect(byName['todo-worker'].ingress.map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/component'])).toEqual(['test']);
    expect(byName['todo-allow-dns'].egress[0].ports).toEqual([{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
  });

  it('cloud: HPA replaces replicas, registry prefix, external database and Groq secrets, TLS', () => {
    const docs = manifests(template(major, 'cloud').output);
    const backend = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'todo-backend')!;
    expect(backend.spec.replicas).toBeUndefined();
    expect(docs.some((d) => d.kind === 'HorizontalPodAutoscaler' && d.metadata.name === 'todo-backend')).toBe(true);
    const frontend = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'todo-frontend')!;
    expect(frontend.spec.replicas).toBe(3);
    expect(frontend.spec.template.spec.containers[0].image).toBe('registry.example.com/todo/todo-frontend:0.1.0');
    const env = backend.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({ name: 'todo-database', key: 'DATABASE_URL' });
    expect(env.find((e: any) => e.name === 'GROQ_API_KEY').valueFrom.secretKeyRef.name).toBe('todo-groq');
    expect(docs.some((d) => d.kind === 'StatefulSet')).toBe(false);
    expect(docs.find((d) => d.kind === 'Ingress')!.spec.tls[0].secretName).toBe('todo-tls');
  });

  it('lite (sqlite): DATABASE_URL in the ConfigMap, /data on a kept PVC per API service, no postgres', () => {
    const docs = manifests(template(major, 'lite').output);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'todo-backend')!;
    expect(cm.data.DATABASE_URL).toBe('sqlite:////data/todo.db');
    expect(docs.some((d) => d.metadata.name === 'todo-postgres')).toBe(false);
    expect(docs.filter((d) => d.kind === 'PersistentVolumeClaim').map((d) => d.metadata.name).sort()).toEqual(['todo-backend-data', 'todo-worker-data']);
  });

  it('the library chart is used unpacked: no Chart.lock, no .tgz, no dependency build', () => {
    const files = renderChart({ ...chart, services: [...chart.services, worker], environments });
    expect(Object.keys(files).filter((f) => f.startsWith('charts/'))).toEqual(['charts/todo-lib/Chart.yaml', 'charts/todo-lib/templates/_helpers.tpl']);
    expect(parse(files['Chart.yaml']).dependencies).toEqual([{ name: 'todo-lib', version: '0.1.0', repository: 'file://charts/todo-lib' }]);
    expect(parse(files['charts/todo-lib/Chart.yaml']).type).toBe('library');
    const deps = helm(bins[major], ['dependency', 'list', dir]);
    expect(deps.output).toMatch(/todo-lib\s+0\.1\.0\s+file:\/\/charts\/todo-lib\s+unpacked/);
  });

  it.each([
    ['image tag latest (schema)', ['--set', 'services.backend.image.tag=latest'], /services\/backend\/image\/tag/],
    ['image tag latest (template)', ['--skip-schema-validation', '--set', 'services.backend.image.tag=latest'], /never deploys latest/],
    ['Ingress and HTTPRoute both on', ['--set', 'httpRoute.enabled=true'], /pick one/],
    ['sqlite with 2 replicas', ['--set', 'database.mode=sqlite', '--set', 'services.backend.replicaCount=2'], /services\.backend\.replicaCount must be 1, not 2 \(one SQLite file, one writer\)/],
    ['unknown database mode', ['--set', 'database.mode=mysql'], /mode/],
    ['unknown top-level value', ['--set', 'foo=1'], /foo/],
    ['groq without a key', ['--set', 'ai.provider=groq'], /ai\.provider is groq but no API key is given/],
  ])('fails on %s', (_label, extra, message) => {
    const t = template(major, 'local', extra as string[]);
    expect(t.ok).toBe(false);
    expect(t.output).toMatch(message as RegExp);
  });

  it('HTTPRoute instead of the Ingress', () => {
    const docs = manifests(template(major, 'local', ['--set', 'httpRoute.enabled=true', '--set', 'ingress.enabled=false']).output);
    const route = docs.find((d) => d.kind === 'HTTPRoute')!;
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.rules[0].backendRefs[0]).toEqual({ name: 'todo-frontend', port: 3000 });
    expect(docs.some((d) => d.kind === 'Ingress')).toBe(false);
  });
});
