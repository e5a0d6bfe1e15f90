/* Every template rendered with fixtures; YAML and JSON outputs parsed; inputs checked before rendering. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { parse, parseAllDocuments } from 'yaml';
import {
  TEMPLATE_NAMES,
  TemplateInputError,
  TemplateInputs,
  TemplateName,
  render,
  renderChart,
  renderImage,
  templatePath,
  valuesTable,
  fittedPoolSize,
} from '../index';
import { backend, chart, environments, frontend, worker } from './fixtures';

/** One valid input per template. */
const INPUTS: { [N in TemplateName]: TemplateInputs[N] } = {
  'docker/fastapi.Dockerfile': { service: backend },
  'docker/fastapi.dockerignore': { service: backend },
  'docker/fastapi.dev-server.py': { service: backend },
  'docker/nextjs.Dockerfile': { service: frontend },
  'docker/nextjs.dockerignore': { service: frontend },
  'chart/Chart.yaml': chart,
  'chart/values.yaml': chart,
  'chart/values.schema.json': chart,
  'chart/.helmignore': chart,
  'chart/README.md': chart,
  'chart/_helpers.tpl': chart,
  'chart/NOTES.txt': chart,
  'chart/validate.yaml': chart,
  'chart/secret.yaml': chart,
  'chart/ingress.yaml': chart,
  'chart/httproute.yaml': chart,
  'chart/networkpolicy.yaml': chart,
  'chart/postgres/statefulset.yaml': chart,
  'chart/postgres/service.yaml': chart,
  'chart/postgres/serviceaccount.yaml': chart,
  'chart/postgres/networkpolicy.yaml': chart,
  'chart/backup/cronjob.yaml': chart,
  'chart/backup/restore-job.yaml': chart,
  'chart/backup/pvc.yaml': chart,
  'chart/backup/serviceaccount.yaml': chart,
  'chart/backup/networkpolicy.yaml': chart,
  'chart/tests/test-connection.yaml': chart,
  'chart/lib/Chart.yaml': chart,
  'chart/lib/_helpers.tpl': chart,
  'service/deployment.yaml': { ...chart, service: 'backend' },
  'service/service.yaml': { ...chart, service: 'backend' },
  'service/serviceaccount.yaml': { ...chart, service: 'frontend' },
  'service/configmap.yaml': { ...chart, service: 'frontend' },
  'service/hpa.yaml': { ...chart, service: 'backend' },
  'service/pdb.yaml': { ...chart, service: 'frontend' },
  'service/networkpolicy.yaml': { ...chart, service: 'frontend' },
  'service/pvc.yaml': { ...chart, service: 'backend' },
  'env/values.yaml': { ...chart, environment: environments[0] },
  'cluster/minikube.yaml': { profile: 'todo', kubernetesVersion: 'v1.34.0', driver: 'docker', cpus: 2, memoryMb: 4096 },
  'k8s/namespace.yaml': { name: 'todo-local', environment: 'local' },
};

/** Outputs that are YAML before Helm sees them (the rest are Helm templates, checked in helm.spec.ts). */
const PLAIN_YAML: TemplateName[] = [
  'chart/Chart.yaml',
  'chart/lib/Chart.yaml',
  'chart/values.yaml',
  'env/values.yaml',
  'cluster/minikube.yaml',
  'k8s/namespace.yaml',
];

describe('render()', () => {
  it.each(TEMPLATE_NAMES)('renders %s with its fixture', (name) => {
    const text = render(name, INPUTS[name] as never);
    expect(text.length).toBeGreaterThan(0);
    // The escape never leaks: Helm sees {{ }}, never \{{ }}.
    expect(text).not.toContain('\\{{');
    if (PLAIN_YAML.includes(name)) {
      const docs = parseAllDocuments(text);
      for (const d of docs) expect(d.errors).toEqual([]);
    }
    if (name.endsWith('.json')) expect(() => JSON.parse(text)).not.toThrow();
  });

  it('covers every template file on disk with a fixture', () => {
    expect(Object.keys(INPUTS).sort()).toEqual([...TEMPLATE_NAMES].sort());
  });

  it('Chart.yaml: apiVersion v2 with a kubeVersion range', () => {
    const c = parse(render('chart/Chart.yaml', chart));
    expect(c).toMatchObject({ apiVersion: 'v2', name: 'todo', version: '0.1.0', kubeVersion: '>=1.33.0-0 <1.38.0-0' });
  });

  it('values.yaml: a stanza per service, one comment per value', () => {
    const text = render('chart/values.yaml', { ...chart, services: [backend, frontend, worker] });
    const v = parse(text);
    expect(Object.keys(v.services)).toEqual(['backend', 'frontend', 'worker']);
    expect(v.services.worker).toMatchObject({ port: 8080, image: { repository: 'todo-worker' } });
    expect(v.services.backend.migrations).toMatchObject({ enabled: true, waitSeconds: 300 });
    expect(v.services.worker.migrations).toBeUndefined();
    expect(v.ingress.className).toBe('traefik');
    expect(v.services.backend.image.tag).not.toBe('latest');
    // Every scalar or leaf-collection line is preceded by a "# --" comment.
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const leaf = /^\s+[A-Za-z][\w.-]*:\s*\S/.test(line) || /^[A-Za-z][\w.-]*:\s*\S/.test(line);
      const inList = /^\s+-\s/.test(line);
      const nestedLeafOfDocumentedMap = /^\s{4,}(cpu|memory|ephemeral-storage|requests|limits|kubernetes\.io|app\.kubernetes|k8s-app|name|namespace)\b/.test(line);
      if (leaf && !inList && !nestedLeafOfDocumentedMap) expect([line, lines[i - 1].trim().startsWith('# --')]).toEqual([line, true]);
    });
  });

  it('values.schema.json: closed at the top level, enums for modes, one property per service', () => {
    const s = JSON.parse(render('chart/values.schema.json', chart));
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.database.properties.mode.enum).toEqual(['postgres', 'sqlite', 'external']);
    expect(s.properties.ai.properties.provider.enum).toEqual(['mock', 'groq']);
    expect(Object.keys(s.properties.services.properties)).toEqual(['backend', 'frontend']);
    expect(s.properties.services.additionalProperties).toBe(false);
  });

  it('env values: replicas per service, registry, database and AI secrets, overrides merged', () => {
    const cloud = parse(render('env/values.yaml', { ...chart, environment: environments[3] }));
    expect(cloud.global).toEqual({ environment: 'cloud', imageRegistry: 'registry.example.com/todo' });
    expect(cloud.services.backend).toEqual({ replicaCount: 3, autoscaling: { enabled: true } });
    expect(cloud.database).toEqual({ mode: 'external', external: { existingSecret: 'todo-database' } });
    expect(cloud.ai.groq.existingSecret).toBe('todo-groq');
    expect(cloud.ingress).toEqual({ host: 'todo.example.com', tls: { enabled: true, secretName: 'todo-tls' } });
    const local = parse(render('env/values.yaml', { ...chart, environment: environments[0] }));
    expect(local).toEqual({
      global: { environment: 'local', imageRegistry: '' },
      ingress: { host: 'todo.localhost' },
      database: { mode: 'postgres' },
      ai: { provider: 'mock' },
      services: { backend: { replicaCount: 1 }, frontend: { replicaCount: 1 } },
    });
  });

  it('minikube profile (the kind config is @todo/cluster kindConfig, rendered by the generators)', () => {
    const mk = parse(render('cluster/minikube.yaml', INPUTS['cluster/minikube.yaml']));
    expect(mk.flags).toContain('--kubernetes-version=v1.34.0');
  });

  it('namespace: Pod Security Standard restricted', () => {
    const ns = parse(render('k8s/namespace.yaml', { name: 'todo-qa', environment: 'qa' }));
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('Dockerfiles: numeric user, base images as build arguments, no latest (details: dockerfile.spec.ts)', () => {
    const files = renderImage({ service: backend });
    expect(files.Dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(files.Dockerfile).toMatch(/^ARG BASE_IMAGE=python:3\.13\.18-alpine3\.24$/m);
    expect(files.Dockerfile).toContain('CMD ["todo_api"]');
    expect(files.Dockerfile).toContain('--mount=type=cache');
    expect(files['Dockerfile.dockerignore'].split('\n')).toEqual(expect.arrayContaining(['*', '!apps/backend/todo_api/', '**/.env']));
    const next = renderImage({ service: frontend, baseImage: 'local/node:20' });
    expect(next.Dockerfile).toMatch(/^ARG BASE_IMAGE=local\/node:20$/m);
    expect(next.Dockerfile).toContain('CMD ["apps/frontend/server.js"]');
    expect(next.Dockerfile).toMatch(/^USER 10001:10001$/m);
    // The FastAPI dev stage's server comes with the image files, in the build context; Next.js has none.
    expect(files['dev_server.py']).toContain('Development server of the backend image');
    expect(files.Dockerfile).toContain('COPY apps/backend-image/dev_server.py /opt/dev/dev_server.py');
    expect(files['Dockerfile.dockerignore'].split('\n')).toContain('!apps/backend-image/dev_server.py');
    expect(Object.keys(next)).toEqual(['Dockerfile', 'Dockerfile.dockerignore']);
    for (const text of [files.Dockerfile, next.Dockerfile]) expect(text).not.toMatch(/:latest\b/);
  });

  it('renderChart(): the whole file set, a templates/<service>/ folder each', () => {
    const files = renderChart({ ...chart, services: [backend, frontend, worker], environments });
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'Chart.yaml',
        'values.yaml',
        'values.schema.json',
        'templates/_helpers.tpl',
        'templates/NOTES.txt',
        'templates/worker/deployment.yaml',
        'templates/worker/networkpolicy.yaml',
        'values-local.yaml',
        'values-cloud.yaml',
      ]),
    );
    // worker is an API (fastapi) service: it also gets the SQLite PVC; a nextjs service does not.
    expect(Object.keys(files).filter((f) => f.startsWith('templates/worker/'))).toHaveLength(8);
    expect(Object.keys(files).filter((f) => f.startsWith('templates/frontend/'))).toHaveLength(7);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['README.md', 'charts/todo-lib/Chart.yaml', 'templates/postgres/statefulset.yaml', 'templates/tests/test-connection.yaml']));
  });

  it('README.md: a row per documented value, the kube-linter checks, no Handlebars left', () => {
    const readme = render('chart/README.md', chart);
    const values = render('chart/values.yaml', chart);
    const documented = values.split('\n').filter((l) => /^\s*# -- /.test(l)).length;
    const rows = readme.split('\n').filter((l) => /^\| `[A-Za-z]/.test(l));
    expect(rows).toHaveLength(documented);
    expect(readme).toContain('| `database.mode` | string | `"postgres"` |');
    expect(readme).toContain('| `services.backend.image.tag` | string | `"0.1.0"` |');
    expect(readme).toContain('`no-anti-affinity`');
    expect(readme).not.toMatch(/\{\{/);
  });

  it('valuesTable(): keys by indentation, defaults as JSON, pipes escaped', () => {
    expect(valuesTable('a:\n  # -- the b\n  b: 1\n  # -- list | of c\n  c:\n    - x\nd: 2\n')).toEqual([
      { key: 'a.b', type: 'number', default: '1', description: 'the b' },
      { key: 'a.c', type: 'list', default: '["x"]', description: 'list \\| of c' },
    ]);
  });
});

describe('input checks', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['service name not a DNS label', () => render('service/service.yaml', { ...chart, service: 'Backend' }), /service: "Backend" is not valid; expected one of the services/],
    ['unknown service type', () => render('chart/values.yaml', { ...chart, services: [{ ...backend, type: 'django' as never }] }), /services\[0\]\.type: "django" is not valid; expected one of fastapi, nextjs/],
    ['port out of range', () => render('chart/values.yaml', { ...chart, services: [{ ...backend, port: 70000 }] }), /services\[0\]\.port: 70000/],
    ['duplicate service', () => render('chart/values.yaml', { ...chart, services: [backend, backend] }), /unique service names/],
    ['unknown connectsTo', () => render('chart/values.yaml', { ...chart, services: [{ ...frontend, connectsTo: ['api'] }] }), /services\.frontend\.connectsTo: "api"/],
    ['fastapi without asgiApp', () => render('docker/fastapi.Dockerfile', { service: { ...backend, asgiApp: undefined } }), /service\.asgiApp/],
    ['wrong Dockerfile type', () => render('docker/nextjs.Dockerfile', { service: backend }), /service\.type: "fastapi" is not valid; expected nextjs/],
    ['bad chart version', () => render('chart/Chart.yaml', { ...chart, chart: { ...chart.chart, version: 'one' } }), /chart\.version/],
    ['sqlite with 2 replicas', () => render('env/values.yaml', { ...chart, environment: { ...environments[2], replicas: 2 } }), /replicas: 2 is not valid; expected 1 with database sqlite/],
    ['reserved namespace', () => render('env/values.yaml', { ...chart, environment: { ...environments[0], namespace: 'kube-system' } }), /namespace: "kube-system"/],
    ['bad host', () => render('env/values.yaml', { ...chart, environment: { ...environments[0], host: 'Todo_Host' } }), /host: "Todo_Host"/],
    ['unknown cluster', () => render('env/values.yaml', { ...chart, environment: { ...environments[0], cluster: 'k3d' } }), /cluster: "k3d".*kind, minikube or context:<name>/],
  ];
  it.each(bad)('%s', (_label, fn, message) => {
    expect(fn).toThrow(TemplateInputError);
    expect(fn).toThrow(message);
  });

  it('unknown template name', () => {
    expect(() => render('chart/nope.yaml' as never, chart as never)).toThrow(/Unknown template "chart\/nope.yaml"/);
  });
});

describe('Handlebars vs Helm: one mechanism, \\{{ ... }}', () => {
  it('no template source holds an unescaped Helm action', () => {
    // House style: Handlebars mustaches start right after the braces ({{name}}, {{#if x}}, {{else}});
    // Helm actions start with a space, "-", ".", "$" or "/*". So an unescaped "{{" followed by one of
    // those is a Helm action that Handlebars would have tried to evaluate.
    const helmish = /(^|[^\\])\{\{(\s|-|\.(?!\.\/)|\$|\/\*)/;
    for (const name of TEMPLATE_NAMES) {
      const source = readFileSync(templatePath(name), 'utf8');
      source.split('\n').forEach((line, i) => {
        const unescaped = line.replace(/\{\{!--.*?--\}\}/g, '');
        expect([`${name}:${i + 1}`, helmish.test(unescaped)]).toEqual([`${name}:${i + 1}`, false]);
      });
    }
  });

  it('an unescaped Helm action does not compile (knownHelpersOnly, strict)', () => {
    const hb = Handlebars.create();
    const compile = (src: string) => hb.compile(src, { strict: true, knownHelpersOnly: true, noEscape: true })({});
    expect(() => compile('name: {{ include "platform.fullname" . }}')).toThrow();
    expect(compile('name: \\{{ include "platform.fullname" . }}')).toBe('name: {{ include "platform.fullname" . }}');
  });
});

describe('fittedPoolSize: autoscaled API pods share the in-cluster PostgreSQL\'s 90 connections', () => {
  const env = { name: 'dev', namespace: 'todo-dev', cluster: 'kind', host: 'dev.todo.localhost', replicas: 2, database: 'postgres' as const, ai: 'mock' as const };
  it.each([
    ['one API service, max 4: 2 x 8 x 4 = 64 fits, the default stays', { maxReplicas: 4 }, ['fastapi', 'nextjs'], undefined],
    ['two API services, max 4: 8 pods, pools of 5', { maxReplicas: 4 }, ['fastapi', 'fastapi', 'nextjs'], 5],
    ['no autoscaling: replicaCount is fixed, the chart checks it', {}, ['fastapi', 'fastapi'], undefined],
    ['external database: not ours to budget', { maxReplicas: 4, database: 'external' as const }, ['fastapi', 'fastapi'], undefined],
  ])('%s', (_label, over, types, pool) => {
    expect(fittedPoolSize({ ...env, ...over }, types.map((type) => ({ type })))).toBe(pool);
  });
});
