/**
 * Input types of the templates, and the checks `render()` runs before it renders anything.
 *
 * Every check throws a `TemplateInputError` whose message names the field, the bad value and
 * what would be accepted, so a caller (the Nx generators) can pass it on unchanged.
 */
import { PlatformError, clusterFieldProblem } from '@todo/cluster';

export type ServiceType = 'fastapi' | 'nextjs';
export const SERVICE_TYPES: readonly ServiceType[] = ['fastapi', 'nextjs'];

export type DatabaseMode = 'postgres' | 'sqlite' | 'external';
export const DATABASE_MODES: readonly DatabaseMode[] = ['postgres', 'sqlite', 'external'];

export type AiProvider = 'mock' | 'groq';
export const AI_PROVIDERS: readonly AiProvider[] = ['mock', 'groq'];

/** One deployable service of the platform (an entry of `services` in environments.json). */
export interface ServiceSpec {
  /** DNS-1123 label; also the app folder `apps/<name>` and the image `todo-<name>`. */
  name: string;
  type: ServiceType;
  /** Container port the app listens on. */
  port: number;
  /** Routed from the Ingress/HTTPRoute at this path prefix (e.g. "/"); absent: cluster-internal only. */
  ingressPath?: string;
  /** Services this one calls; each gets `<NAME>_URL` in its environment and a network policy rule. */
  connectsTo?: string[];
  /** fastapi: ASGI app for uvicorn, e.g. "todo_api.main:app". */
  asgiApp?: string;
  /** fastapi: module run before the server starts (an init container), e.g. "todo_api.migrate". */
  migrateModule?: string;
}

/** Chart metadata (Chart.yaml). */
export interface ChartMeta {
  /** Chart name, a DNS-1123 label. */
  name: string;
  /** SemVer of the chart. */
  version: string;
  /** Version of the app the chart deploys. */
  appVersion: string;
  /** SemVer range of Kubernetes versions the chart supports. */
  kubeVersion: string;
  description: string;
  /** Chart.yaml maintainers; default: the platform team. */
  maintainers?: Array<{ name: string; email?: string }>;
}

/** Input of every chart-level template. */
export interface ChartInput {
  chart: ChartMeta;
  services: ServiceSpec[];
}

/** Input of the per-service chart templates. */
export interface ServiceTemplateInput extends ChartInput {
  /** Name of the service (one of `services`) to render. */
  service: string;
}

/** One environment (an entry of `environments` in environments.json). */
export interface EnvironmentSpec {
  /** DNS-1123 label. */
  name: string;
  namespace: string;
  /** `kind`, `minikube`, or `context:<kube-context>` for an existing cluster. */
  cluster: string;
  /** Registry images are pushed to; absent: images are loaded into the local node. */
  registry?: string;
  /** Ingress host. */
  host: string;
  replicas: number;
  /** Autoscaling of every service on CPU between `replicas` and this; absent: a fixed `replicas`. */
  maxReplicas?: number;
  database: DatabaseMode;
  ai: AiProvider;
  /** Extra chart values layered on top for this environment (free-form, JSON-compatible). */
  values?: Record<string, unknown>;
}

export interface EnvValuesInput extends ChartInput {
  environment: EnvironmentSpec;
}

export interface DockerfileInput {
  service: ServiceSpec;
  /** Base of the runtime stage: default of the BASE_IMAGE build argument (offline builds override it). */
  baseImage?: string;
  /** Base of the build stages (needs pip / npm): default of BUILDER_IMAGE; defaults to baseImage. */
  builderImage?: string;
}

export interface MinikubeProfileInput {
  /** minikube profile name (also the kube context name). */
  profile: string;
  /** Kubernetes version, e.g. v1.34.0. */
  kubernetesVersion: string;
  driver: string;
  cpus: number;
  /** Memory in MiB. */
  memoryMb: number;
}

export interface NamespaceInput {
  name: string;
  environment: string;
}

/** A template's input is invalid: names the field, the bad value and what would be accepted, on one line. */
export class TemplateInputError extends PlatformError {
  constructor(field: string, value: unknown, expected: string) {
    const cause = `${field}: ${JSON.stringify(value)} is not valid`;
    super('template input', cause, `expected ${expected}`, `${cause}; expected ${expected}`);
  }
}

// ---------------------------------------------------------------- field rules

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const PY_ASGI = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/;
/** name[:tag][@sha256:digest], with a tag or a digest (an untagged name means "latest"). */
const IMAGE_REF = /^[a-z0-9]+([._\/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$/;
const PY_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Names a Kubernetes cluster already uses for namespaces; environments may not take them. */
export const RESERVED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
}

/** DNS-1123 subdomain (lowercase labels joined by dots, at most 253 characters). */
export function isDnsSubdomain(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= 253 && value.split('.').every((l) => isDnsLabel(l))
  );
}

function fail(field: string, value: unknown, expected: string): never {
  throw new TemplateInputError(field, value, expected);
}

function checkObject(field: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, value, 'an object');
}

export function checkDnsLabel(field: string, value: unknown): asserts value is string {
  if (!isDnsLabel(value)) fail(field, value, 'a DNS-1123 label (lowercase letters, digits and "-", at most 63)');
}

function checkPort(field: string, value: unknown): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535)
    fail(field, value, 'an integer port 1-65535');
}

function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) fail(field, value, `one of ${allowed.join(', ')}`);
}

function checkString(field: string, value: unknown, pattern?: RegExp, expected = 'a non-empty string') {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) fail(field, value, expected);
}

// ---------------------------------------------------------------- input checks

export function checkService(value: unknown, field = 'service'): ServiceSpec {
  checkObject(field, value);
  checkDnsLabel(`${field}.name`, value.name);
  checkOneOf(`${field}.type`, value.type, SERVICE_TYPES);
  checkPort(`${field}.port`, value.port);
  if (value.ingressPath !== undefined)
    checkString(`${field}.ingressPath`, value.ingressPath, /^\/[A-Za-z0-9._~\-/]*$/, 'a path starting with "/"');
  if (value.connectsTo !== undefined) {
    if (!Array.isArray(value.connectsTo)) fail(`${field}.connectsTo`, value.connectsTo, 'a list of service names');
    value.connectsTo.forEach((n, i) => checkDnsLabel(`${field}.connectsTo[${i}]`, n));
  }
  if (value.type === 'fastapi') {
    checkString(`${field}.asgiApp`, value.asgiApp, PY_ASGI, 'a uvicorn app reference such as "pkg.main:app"');
    if (value.migrateModule !== undefined)
      checkString(`${field}.migrateModule`, value.migrateModule, PY_MODULE, 'a Python module such as "pkg.migrate"');
  } else if (value.asgiApp !== undefined || value.migrateModule !== undefined) {
    fail(`${field}.asgiApp`, value.asgiApp ?? value.migrateModule, 'nothing: only fastapi services have a Python app');
  }
  return value as unknown as ServiceSpec;
}

export function checkChartInput(value: unknown): ChartInput {
  checkObject('input', value);
  checkObject('chart', value.chart);
  const c = value.chart;
  checkDnsLabel('chart.name', c.name);
  checkString('chart.version', c.version, SEMVER, 'a SemVer version such as 0.1.0');
  checkString('chart.appVersion', c.appVersion);
  checkString('chart.kubeVersion', c.kubeVersion, /^[<>=~^0-9.\s|x*-]+$/, 'a SemVer range such as ">=1.33.0-0 <1.38.0-0"');
  checkString('chart.description', c.description);
  if (c.maintainers !== undefined) {
    if (!Array.isArray(c.maintainers) || c.maintainers.length === 0) fail('chart.maintainers', c.maintainers, 'a non-empty list of { name, email? }');
    c.maintainers.forEach((m, i) => {
      checkObject(`chart.maintainers[${i}]`, m);
      checkString(`chart.maintainers[${i}].name`, m.name);
      if (m.email !== undefined) checkString(`chart.maintainers[${i}].email`, m.email, /^[^@\s]+@[^@\s]+$/, 'an e-mail address');
    });
  }
  if (!Array.isArray(value.services) || value.services.length === 0)
    fail('services', value.services, 'a non-empty list of services');
  const services = value.services.map((s, i) => checkService(s, `services[${i}]`));
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const s of services) {
    if (names.has(s.name)) fail('services', s.name, 'unique service names');
    names.add(s.name);
    if (s.ingressPath !== undefined) {
      if (paths.has(s.ingressPath)) fail(`services.${s.name}.ingressPath`, s.ingressPath, 'a path no other service uses');
      paths.add(s.ingressPath);
    }
  }
  for (const s of services)
    for (const target of s.connectsTo ?? []) {
      if (!names.has(target)) fail(`services.${s.name}.connectsTo`, target, `one of the services (${[...names].join(', ')})`);
      if (target === s.name) fail(`services.${s.name}.connectsTo`, target, 'another service, not itself');
    }
  return value as unknown as ChartInput;
}

export function checkServiceTemplateInput(value: unknown): ServiceTemplateInput {
  const input = checkChartInput(value) as ServiceTemplateInput;
  if (!input.services.some((s) => s.name === input.service))
    fail('service', input.service, `one of the services (${input.services.map((s) => s.name).join(', ')})`);
  return input;
}

export function checkEnvironment(value: unknown, field = 'environment'): EnvironmentSpec {
  checkObject(field, value);
  checkDnsLabel(`${field}.name`, value.name);
  checkDnsLabel(`${field}.namespace`, value.namespace);
  if (RESERVED_NAMESPACES.includes(value.namespace as string))
    fail(`${field}.namespace`, value.namespace, `a namespace other than ${RESERVED_NAMESPACES.join(', ')}`);
  // The one rule of the cluster field (@todo/cluster), worded for a template's input.
  if (clusterFieldProblem(value.cluster)) fail(`${field}.cluster`, value.cluster, 'kind, minikube or context:<name>');
  if (value.registry !== undefined)
    checkString(`${field}.registry`, value.registry, /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*$/, 'a registry such as registry.example.com:5000/todo');
  if (!isDnsSubdomain(value.host)) fail(`${field}.host`, value.host, 'a DNS name such as todo.example.com');
  if (!Number.isInteger(value.replicas) || (value.replicas as number) < 1 || (value.replicas as number) > 20)
    fail(`${field}.replicas`, value.replicas, 'an integer 1-20');
  checkOneOf(`${field}.database`, value.database, DATABASE_MODES);
  checkOneOf(`${field}.ai`, value.ai, AI_PROVIDERS);
  if (value.database === 'sqlite' && value.replicas !== 1)
    fail(`${field}.replicas`, value.replicas, '1 with database sqlite (one file, one writer)');
  if (value.maxReplicas !== undefined) {
    const max = value.maxReplicas as number;
    if (!Number.isInteger(max) || max < (value.replicas as number) || max > 20)
      fail(`${field}.maxReplicas`, value.maxReplicas, `an integer from replicas (${value.replicas}) to 20`);
    if (value.database === 'sqlite') fail(`${field}.maxReplicas`, value.maxReplicas, 'absent with database sqlite (one file, one writer: no autoscaling)');
  }
  if (value.values !== undefined) checkObject(`${field}.values`, value.values);
  return value as unknown as EnvironmentSpec;
}

export function checkEnvValuesInput(value: unknown): EnvValuesInput {
  const input = checkChartInput(value) as EnvValuesInput;
  checkEnvironment(input.environment);
  return input;
}

export function checkDockerfileInput(type: ServiceType) {
  return (value: unknown): DockerfileInput => {
    checkObject('input', value);
    const service = checkService(value.service);
    if (service.type !== type) fail('service.type', service.type, type);
    for (const field of ['baseImage', 'builderImage'] as const) {
      const ref = value[field];
      if (ref === undefined) continue;
      checkString(field, ref, IMAGE_REF, 'an image reference with a tag or digest, such as python:3.13.18-alpine3.24');
      if (/:latest$/.test(ref as string)) fail(field, ref, 'a pinned tag, not latest');
    }
    return value as unknown as DockerfileInput;
  };
}

export function checkMinikubeProfile(value: unknown): MinikubeProfileInput {
  checkObject('input', value);
  checkDnsLabel('profile', value.profile);
  checkString('kubernetesVersion', value.kubernetesVersion, /^v\d+\.\d+\.\d+$/, 'a version such as v1.34.0');
  checkString('driver', value.driver, /^[a-z0-9-]+$/, 'a minikube driver such as docker');
  if (!Number.isInteger(value.cpus) || (value.cpus as number) < 1) fail('cpus', value.cpus, 'a positive integer');
  if (!Number.isInteger(value.memoryMb) || (value.memoryMb as number) < 1024) fail('memoryMb', value.memoryMb, 'an integer >= 1024');
  return value as unknown as MinikubeProfileInput;
}

export function checkNamespace(value: unknown): NamespaceInput {
  checkObject('input', value);
  checkDnsLabel('name', value.name);
  checkDnsLabel('environment', value.environment);
  return value as unknown as NamespaceInput;
}

/** The minimal app of a new service (apps/<name>), before it has code of its own. */
export interface AppInput {
  name: string;
  type: ServiceType;
  port: number;
  /** The Python package (fastapi; `__pkg__` in template paths). */
  pkg: string;
  /** module:attribute of the ASGI app (fastapi); "" for nextjs. */
  asgiApp: string;
  /** Versions of next, react and react-dom the workspace already uses (nextjs). */
  versions: { next: string; react: string; reactDom: string };
}

export function checkApp(value: unknown): AppInput {
  checkObject('app', value);
  checkDnsLabel('app.name', value.name);
  checkOneOf('app.type', value.type, SERVICE_TYPES);
  checkPort('app.port', value.port);
  checkString('app.pkg', value.pkg, /^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python package name');
  if (typeof value.asgiApp !== 'string') fail('app.asgiApp', value.asgiApp, 'module:attribute, or "" for nextjs');
  checkObject('app.versions', value.versions);
  for (const k of ['next', 'react', 'reactDom']) checkString(`app.versions.${k}`, value.versions[k]);
  return value as unknown as AppInput;
}
