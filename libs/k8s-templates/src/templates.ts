/**
 * The template table: each template's name, its input type, the check of its input and its view (what
 * the Handlebars template sees). render.ts renders through it; nothing here reads a template file.
 */
import { parseDocument } from 'yaml';
import {
  AI_PROVIDERS,
  ChartInput,
  DATABASE_MODES,
  DockerfileInput,
  EnvValuesInput,
  EnvironmentSpec,
  MinikubeProfileInput,
  NamespaceInput,
  ServiceSpec,
  ServiceTemplateInput,
  checkChartInput,
  checkDockerfileInput,
  checkEnvValuesInput,
  checkMinikubeProfile,
  checkNamespace,
  checkServiceTemplateInput,
} from './inputs';
import { KUBE_LINTER_DEFAULT_CHECKS, valuesTable } from './docs';
import { APP_UID, DEFAULT_BASE_IMAGES, POSTGRES_UID, imageName, libraryChartName, pythonPackageOf, urlEnvVar } from './conventions';

const DEFAULT_MAINTAINERS: NonNullable<ChartInput['chart']['maintainers']> = [{ name: 'Platform team' }];

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
  'cluster/minikube.yaml': MinikubeProfileInput;
  'k8s/namespace.yaml': NamespaceInput;
}
export type TemplateName = keyof TemplateInputs;

/** Renders another template (a view may show one template's output inside another, e.g. the values table). */
export type RenderFn = <N extends TemplateName>(name: N, input: TemplateInputs[N]) => string;

export interface TemplateDef<I> {
  check(input: unknown): I;
  view(input: I, render: RenderFn): Record<string, unknown>;
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
  view: (input, render) => ({ ...chartView(input), valuesTable: valuesTable(render('chart/values.yaml', input)) }),
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

export const DEFS: { [N in TemplateName]: TemplateDef<TemplateInputs[N]> } = {
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
