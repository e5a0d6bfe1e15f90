/**
 * The typed template API: `render(name, input)` checks the input, builds the template's view and
 * returns the text. `renderChart()` and `renderImage()` assemble whole file sets from it.
 *
 * Helm syntax: templates are Handlebars; everything Helm must see is written `\{{ ... }}`, which
 * Handlebars emits verbatim as `{{ ... }}`. Unescaped `{{ ... }}` is always Handlebars.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { parseDocument } from 'yaml';
import {
  AI_PROVIDERS,
  ChartInput,
  DATABASE_MODES,
  DockerfileInput,
  EnvValuesInput,
  EnvironmentSpec,
  KindClusterInput,
  MinikubeProfileInput,
  NamespaceInput,
  ServiceSpec,
  ServiceTemplateInput,
  checkChartInput,
  checkDockerfileInput,
  checkEnvValuesInput,
  checkKindCluster,
  checkMinikubeProfile,
  checkNamespace,
  checkServiceTemplateInput,
  AppInput,
  checkApp,
} from './inputs';
import { HELPERS } from './helpers';
import { KUBE_LINTER_DEFAULT_CHECKS, valuesTable } from './docs';

/** Numeric user and group every image runs as (Pod Security "restricted" needs a non-zero number). */
export const APP_UID = 10001;

/** uid/gid of the postgres user in the official Debian-based postgres images. */
export const POSTGRES_UID = 999;

const DEFAULT_MAINTAINERS: NonNullable<ChartInput['chart']['maintainers']> = [{ name: 'Platform team' }];

/**
 * Default base of each image type: the official image a user would pull, pinned to an exact version
 * (Alpine: the smallest official variant both apps run on). Build arguments replace them (a mirror,
 * or tools/base-images on a machine without a registry). Used for both the build and runtime stages.
 */
export const DEFAULT_BASE_IMAGES = {
  fastapi: 'python:3.13.18-alpine3.24',
  nextjs: 'node:26.12.1-alpine3.24',
} as const;

/** What a base of each image type must provide; tools/base-images builds local bases by these names. */
export const BASE_IMAGE_FLAVORS = {
  fastapi: 'python',
  nextjs: 'node',
} as const;

/** Name of a service's image (the chart's image.repository). */
export function imageName(service: string): string {
  return `todo-${service}`;
}

/** The Python package of an ASGI app reference: "todo_api.main:app" -> "todo_api". */
export function pythonPackageOf(asgiApp: string): string {
  return asgiApp.split(/[.:]/)[0];
}

/** Template name -> input type. */
export interface TemplateInputs {
  'docker/fastapi.Dockerfile': DockerfileInput;
  'docker/fastapi.dockerignore': DockerfileInput;
  'docker/fastapi.dev-server.py': DockerfileInput;
  'docker/nextjs.Dockerfile': DockerfileInput;
  'docker/nextjs.dockerignore': DockerfileInput;
  'chart/Chart.yaml': ChartInput;
  'chart/values.yaml': ChartInput;
  'chart/values.schema.json': ChartInput;
  'chart/.helmignore': ChartInput;
  'chart/README.md': ChartInput;
  'chart/_helpers.tpl': ChartInput;
  'chart/NOTES.txt': ChartInput;
  'chart/validate.yaml': ChartInput;
  'chart/secret.yaml': ChartInput;
  'chart/ingress.yaml': ChartInput;
  'chart/httproute.yaml': ChartInput;
  'chart/networkpolicy.yaml': ChartInput;
  'chart/postgres/statefulset.yaml': ChartInput;
  'chart/postgres/service.yaml': ChartInput;
  'chart/postgres/serviceaccount.yaml': ChartInput;
  'chart/postgres/networkpolicy.yaml': ChartInput;
  'chart/backup/cronjob.yaml': ChartInput;
  'chart/backup/restore-job.yaml': ChartInput;
  'chart/backup/pvc.yaml': ChartInput;
  'chart/backup/serviceaccount.yaml': ChartInput;
  'chart/backup/networkpolicy.yaml': ChartInput;
  'chart/tests/test-connection.yaml': ChartInput;
  'chart/lib/Chart.yaml': ChartInput;
  'chart/lib/_helpers.tpl': ChartInput;
  'service/deployment.yaml': ServiceTemplateInput;
  'service/service.yaml': ServiceTemplateInput;
  'service/serviceaccount.yaml': ServiceTemplateInput;
  'service/configmap.yaml': ServiceTemplateInput;
  'service/hpa.yaml': ServiceTemplateInput;
  'service/pdb.yaml': ServiceTemplateInput;
  'service/networkpolicy.yaml': ServiceTemplateInput;
  'service/pvc.yaml': ServiceTemplateInput;
  'env/values.yaml': EnvValuesInput;
  'cluster/kind.yaml': KindClusterInput;
  'cluster/minikube.yaml': MinikubeProfileInput;
  'k8s/namespace.yaml': NamespaceInput;
}
export type TemplateName = keyof TemplateInputs;

interface TemplateDef<I> {
  check(input: unknown): I;
  view(input: I): Record<string, unknown>;
  /** Applied to the rendered text (e.g. re-indent JSON, merge overrides into YAML). */
  post?(text: string, input: I): string;
}

// ---------------------------------------------------------------- views

const PROBES: Record<ServiceSpec['type'], { liveness: string; readiness: string; startup: string }> = {
  fastapi: { liveness: '/healthz', readiness: '/readyz', startup: '/healthz' },
  nextjs: { liveness: '/api/health', readiness: '/api/ready', startup: '/api/health' },
};

interface Resources {
  cpu: string;
  memory: string;
  memoryLimit: string;
  /** Ephemeral storage: the emptyDirs (tmp 64Mi, Next.js cache 256Mi) plus container logs. */
  storage: string;
  storageLimit: string;
}

// fastapi's memory limit is sized by `nx run backend:bench-logins` (see values.yaml): the peak RSS of
// 32 concurrent logins, with the hash pool the app derives from this limit, stays under 60% of it.
const RESOURCES: Record<ServiceSpec['type'], Resources> = {
  fastapi: { cpu: '50m', memory: '128Mi', memoryLimit: '512Mi', storage: '32Mi', storageLimit: '128Mi' },
  nextjs: { cpu: '50m', memory: '128Mi', memoryLimit: '512Mi', storage: '64Mi', storageLimit: '384Mi' },
};

/** FOO-bar -> FOO_BAR_URL: the variable a service reads another service's URL from. */
export function urlEnvVar(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

function serviceView(s: ServiceSpec, all: ServiceSpec[]) {
  const connections = (s.connectsTo ?? []).map((name) => ({ name, envVar: urlEnvVar(name) }));
  const callers = all.filter((o) => (o.connectsTo ?? []).includes(s.name)).map((o) => o.name);
  const isFastapi = s.type === 'fastapi';
  return {
    name: s.name,
    type: s.type,
    port: s.port,
    ingressPath: s.ingressPath ?? '',
    asgiApp: s.asgiApp ?? '',
    migrateModule: s.migrateModule ?? '',
    isFastapi,
    isNextjs: s.type === 'nextjs',
    connections,
    callers,
    hasIngressRules: Boolean(s.ingressPath) || callers.length > 0,
    hasEgressRules: connections.length > 0 || isFastapi,
    probes: PROBES[s.type],
    resources: RESOURCES[s.type],
  };
}

/** Library chart of a chart: `<chart>-lib`, vendored unpacked under `charts/`. */
export function libraryChartName(chart: string): string {
  return `${chart}-lib`;
}

function chartView(input: ChartInput) {
  const services = input.services.map((s) => serviceView(s, input.services));
  const databaseClients = services.filter((s) => s.isFastapi);
  return {
    chart: { ...input.chart, maintainers: input.chart.maintainers ?? DEFAULT_MAINTAINERS },
    libName: libraryChartName(input.chart.name),
    uid: APP_UID,
    postgresUid: POSTGRES_UID,
    testRunner: databaseClients[0] ?? false,
    testRunnerName: databaseClients[0]?.name ?? '',
    firstDatabaseClient: databaseClients[0]?.name ?? '',
    lintChecks: KUBE_LINTER_DEFAULT_CHECKS,
    services,
    serviceNames: services.map((s) => s.name),
    publicServices: services.filter((s) => s.ingressPath),
    hasPublicServices: services.some((s) => s.ingressPath),
    databaseClients,
    hasDatabaseClients: databaseClients.length > 0,
    databaseModes: DATABASE_MODES,
    aiProviders: AI_PROVIDERS,
  };
}

const chartDef: TemplateDef<ChartInput> = { check: checkChartInput, view: chartView };

const readmeDef: TemplateDef<ChartInput> = {
  check: checkChartInput,
  view: (input) => ({ ...chartView(input), valuesTable: valuesTable(render('chart/values.yaml', input)) }),
};

const jsonChartDef: TemplateDef<ChartInput> = {
  ...chartDef,
  post: (text) => `${JSON.stringify(JSON.parse(text), null, 2)}\n`,
};

const serviceDef: TemplateDef<ServiceTemplateInput> = {
  check: checkServiceTemplateInput,
  view: (input) => {
    const base = chartView(input);
    return { ...base, service: base.services.find((s) => s.name === input.service) };
  },
};

function dockerDef(type: ServiceSpec['type']): TemplateDef<DockerfileInput> {
  return {
    check: checkDockerfileInput(type),
    view: (input) => ({
      service: serviceView(input.service, [input.service]),
      image: imageName(input.service.name),
      pythonPackage: input.service.asgiApp ? pythonPackageOf(input.service.asgiApp) : '',
      baseImage: input.baseImage ?? DEFAULT_BASE_IMAGES[type],
      builderImage: input.builderImage ?? input.baseImage ?? DEFAULT_BASE_IMAGES[type],
      uid: APP_UID,
    }),
  };
}

/** Sets every leaf of `overrides` in the YAML document, keeping the comments of the rendered file. */
function mergeOverrides(text: string, overrides: Record<string, unknown> | undefined): string {
  if (!overrides || Object.keys(overrides).length === 0) return text;
  const doc = parseDocument(text);
  const walk = (value: unknown, path: string[]) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    } else {
      doc.setIn(path, value);
    }
  };
  walk(overrides, []);
  return doc.toString({ lineWidth: 0 });
}

/** The in-cluster PostgreSQL's connections for the API pods, and each pool's size unless it must shrink. */
const POSTGRES_CONNECTIONS = 90;
const DEFAULT_POOL_SIZE = 8;

/**
 * With autoscaling, each API service may run maxReplicas pods of 2 pools each, and all of them share the
 * in-cluster PostgreSQL's 90 connections: the environment's pool shrinks to fit (undefined: the default
 * of 8 fits). Computed here, from the services, so adding an API service re-renders a values file that
 * still templates.
 */
export function fittedPoolSize(env: EnvironmentSpec, services: { type: string }[]): number | undefined {
  if (env.database !== 'postgres' || !env.maxReplicas) return undefined;
  const apiPods = services.filter((s) => s.type === 'fastapi').length * env.maxReplicas;
  const fits = Math.floor(POSTGRES_CONNECTIONS / (2 * Math.max(apiPods, 1)));
  return fits < DEFAULT_POOL_SIZE ? Math.max(fits, 1) : undefined;
}

const envValuesDef: TemplateDef<EnvValuesInput> = {
  check: checkEnvValuesInput,
  view: (input) => {
    const env = input.environment;
    return {
      ...chartView(input),
      poolSize: fittedPoolSize(env, input.services) ?? false,
      environment: env,
      registry: env.registry ?? '',
      isExternalDatabase: env.database === 'external',
      externalSecret: `${input.chart.name}-database`,
      isGroq: env.ai === 'groq',
      groqSecret: `${input.chart.name}-groq`,
    };
  },
  post: (text, input) => mergeOverrides(text, input.environment.values),
};

const DEFS: { [N in TemplateName]: TemplateDef<TemplateInputs[N]> } = {
  'docker/fastapi.Dockerfile': dockerDef('fastapi'),
  'docker/fastapi.dockerignore': dockerDef('fastapi'),
  'docker/fastapi.dev-server.py': dockerDef('fastapi'),
  'docker/nextjs.Dockerfile': dockerDef('nextjs'),
  'docker/nextjs.dockerignore': dockerDef('nextjs'),
  'chart/Chart.yaml': chartDef,
  'chart/values.yaml': chartDef,
  'chart/values.schema.json': jsonChartDef,
  'chart/.helmignore': chartDef,
  'chart/README.md': readmeDef,
  'chart/_helpers.tpl': chartDef,
  'chart/NOTES.txt': chartDef,
  'chart/validate.yaml': chartDef,
  'chart/secret.yaml': chartDef,
  'chart/ingress.yaml': chartDef,
  'chart/httproute.yaml': chartDef,
  'chart/networkpolicy.yaml': chartDef,
  'chart/postgres/statefulset.yaml': chartDef,
  'chart/postgres/service.yaml': chartDef,
  'chart/postgres/serviceaccount.yaml': chartDef,
  'chart/postgres/networkpolicy.yaml': chartDef,
  'chart/backup/cronjob.yaml': chartDef,
  'chart/backup/restore-job.yaml': chartDef,
  'chart/backup/pvc.yaml': chartDef,
  'chart/backup/serviceaccount.yaml': chartDef,
  'chart/backup/networkpolicy.yaml': chartDef,
  'chart/tests/test-connection.yaml': chartDef,
  'chart/lib/Chart.yaml': chartDef,
  'chart/lib/_helpers.tpl': chartDef,
  'service/deployment.yaml': serviceDef,
  'service/service.yaml': serviceDef,
  'service/serviceaccount.yaml': serviceDef,
  'service/configmap.yaml': serviceDef,
  'service/hpa.yaml': serviceDef,
  'service/pdb.yaml': serviceDef,
  'service/networkpolicy.yaml': serviceDef,
  'service/pvc.yaml': serviceDef,
  'env/values.yaml': envValuesDef,
  'cluster/kind.yaml': { check: checkKindCluster, view: (i) => ({ ...i }) },
  'cluster/minikube.yaml': {
    check: checkMinikubeProfile,
    view: (i) => ({
      ...i,
      flags: [
        `--kubernetes-version=${i.kubernetesVersion}`,
        `--driver=${i.driver}`,
        `--cpus=${i.cpus}`,
        `--memory=${i.memoryMb}mb`,
        '--addons=metrics-server',
      ],
    }),
  },
  'k8s/namespace.yaml': { check: checkNamespace, view: (i) => ({ ...i }) },
};

export const TEMPLATE_NAMES = Object.keys(DEFS) as TemplateName[];

// ---------------------------------------------------------------- rendering

const TEMPLATE_DIR = join(__dirname, 'templates');
const env = Handlebars.create();
for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
// Partials: blocks several templates share. File `<dir>/_<name>.hbs` is used as `{{> <dir>/<name>}}`.
env.registerPartial('docker/oci-labels', readFileSync(join(TEMPLATE_DIR, 'docker/_oci-labels.hbs'), 'utf8'));
const compiled = new Map<TemplateName, Handlebars.TemplateDelegate>();
const COMPILE_OPTIONS: CompileOptions = {
  // YAML/Dockerfiles, not HTML: no entity escaping.
  noEscape: true,
  // A missing field is an error, not an empty string.
  strict: true,
  // Only the documented helpers exist: an unescaped Helm expression fails here, at compile time.
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((h) => [h, true])),
};

/** Path of a template's source file. */
export function templatePath(name: TemplateName): string {
  return join(TEMPLATE_DIR, `${name}.hbs`);
}

function compile(name: TemplateName): Handlebars.TemplateDelegate {
  let fn = compiled.get(name);
  if (!fn) {
    fn = env.compile(readFileSync(templatePath(name), 'utf8'), COMPILE_OPTIONS);
    compiled.set(name, fn);
  }
  return fn;
}

/** Renders one template. Throws `TemplateInputError` (naming the field) when the input is invalid. */
export function render<N extends TemplateName>(name: N, input: TemplateInputs[N]): string {
  const def = DEFS[name] as TemplateDef<TemplateInputs[N]>;
  if (!def) throw new Error(`Unknown template "${name}"; known: ${TEMPLATE_NAMES.join(', ')}`);
  const checked = def.check(input);
  const text = compile(name)(def.view(checked));
  return def.post ? def.post(text, checked) : text;
}

/** Chart-level template -> path in the chart. */
const CHART_FILES: Array<[TemplateName, string]> = [
  ['chart/Chart.yaml', 'Chart.yaml'],
  ['chart/values.yaml', 'values.yaml'],
  ['chart/values.schema.json', 'values.schema.json'],
  ['chart/.helmignore', '.helmignore'],
  ['chart/README.md', 'README.md'],
  ['chart/_helpers.tpl', 'templates/_helpers.tpl'],
  ['chart/NOTES.txt', 'templates/NOTES.txt'],
  ['chart/validate.yaml', 'templates/validate.yaml'],
  ['chart/secret.yaml', 'templates/secret.yaml'],
  ['chart/ingress.yaml', 'templates/ingress.yaml'],
  ['chart/httproute.yaml', 'templates/httproute.yaml'],
  ['chart/networkpolicy.yaml', 'templates/networkpolicy.yaml'],
  ['chart/tests/test-connection.yaml', 'templates/tests/test-connection.yaml'],
];

/** Templates of the in-release database and its backups: only for charts with an API (fastapi) service. */
const DATABASE_FILES: Array<[TemplateName, string]> = [
  ['chart/postgres/statefulset.yaml', 'templates/postgres/statefulset.yaml'],
  ['chart/postgres/service.yaml', 'templates/postgres/service.yaml'],
  ['chart/postgres/serviceaccount.yaml', 'templates/postgres/serviceaccount.yaml'],
  ['chart/postgres/networkpolicy.yaml', 'templates/postgres/networkpolicy.yaml'],
  ['chart/backup/cronjob.yaml', 'templates/backup/cronjob.yaml'],
  ['chart/backup/restore-job.yaml', 'templates/backup/restore-job.yaml'],
  ['chart/backup/pvc.yaml', 'templates/backup/pvc.yaml'],
  ['chart/backup/serviceaccount.yaml', 'templates/backup/serviceaccount.yaml'],
  ['chart/backup/networkpolicy.yaml', 'templates/backup/networkpolicy.yaml'],
];

/** Library chart files, relative to the library's directory. */
const LIBRARY_FILES: Array<[TemplateName, string]> = [
  ['chart/lib/Chart.yaml', 'Chart.yaml'],
  ['chart/lib/_helpers.tpl', 'templates/_helpers.tpl'],
];

export const SERVICE_TEMPLATES = [
  'deployment',
  'service',
  'serviceaccount',
  'configmap',
  'hpa',
  'pdb',
  'networkpolicy',
  'pvc',
] as const;

/** The per-service templates a service of this type gets (the SQLite PVC only for API services). */
export function serviceTemplates(type: ServiceSpec['type']): ReadonlyArray<(typeof SERVICE_TEMPLATES)[number]> {
  return SERVICE_TEMPLATES.filter((t) => t !== 'pvc' || type === 'fastapi');
}

/**
 * Every file of the chart, keyed by its path relative to the chart directory: the skeleton and README,
 * the chart-level templates, the library chart under `charts/<chart>-lib/`, `templates/<service>/*.yaml`
 * for each service, and `values-<env>.yaml` for each environment given.
 */
export function renderChart(input: ChartInput & { environments?: EnvValuesInput['environment'][] }): Record<string, string> {
  const base: ChartInput = { chart: input.chart, services: input.services };
  const files: Record<string, string> = {};
  for (const [name, path] of CHART_FILES) files[path] = render(name, base);
  if (input.services.some((s) => s.type === 'fastapi'))
    for (const [name, path] of DATABASE_FILES) files[path] = render(name, base);
  const lib = `charts/${libraryChartName(base.chart.name)}`;
  for (const [name, path] of LIBRARY_FILES) files[`${lib}/${path}`] = render(name, base);
  for (const s of input.services)
    for (const t of serviceTemplates(s.type))
      files[`templates/${s.name}/${t}.yaml`] = render(`service/${t}.yaml`, { ...base, service: s.name });
  for (const environment of input.environments ?? [])
    files[`values-${environment.name}.yaml`] = render('env/values.yaml', { ...base, environment });
  return files;
}

/**
 * The image files of one service: `Dockerfile` and its `Dockerfile.dockerignore`, and for FastAPI the
 * dev stage's server (`dev_server.py`: preloaded forks instead of uvicorn --reload's fresh interpreters).
 */
export function renderImage(input: DockerfileInput): Record<string, string> {
  const t = input.service.type;
  return {
    Dockerfile: render(`docker/${t}.Dockerfile`, input),
    'Dockerfile.dockerignore': render(`docker/${t}.dockerignore`, input),
    ...(t === 'fastapi' ? { 'dev_server.py': render('docker/fastapi.dev-server.py', input) } : {}),
  };
}

const APP_DIR = join(TEMPLATE_DIR, 'app');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

/**
 * The minimal app of a new service, keyed by its path below apps/<name>: every template under
 * templates/app/<type>/, rendered like every other template (same Handlebars environment: strict,
 * no escaping, only the documented helpers); `__pkg__` in a path becomes the Python package.
 */
export function renderApp(input: AppInput): Record<string, string> {
  const app = checkApp(input);
  const root = join(APP_DIR, app.type);
  const files: Record<string, string> = {};
  for (const file of filesUnder(root)) {
    const target = relative(root, file).replace(/\.hbs$/, '').replace('__pkg__', app.pkg);
    files[target] = env.compile(readFileSync(file, 'utf8'), COMPILE_OPTIONS)({ ...app });
  }
  return files;
}
