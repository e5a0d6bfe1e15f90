/**
 * @todo/k8s-templates: Handlebars templates for the platform's Dockerfiles, Helm chart, environment
 * values and local cluster configs, behind a small typed API. Knows nothing about Nx.
 */
export { render, renderChart, renderImage, renderApp, templatePath, serviceTemplates, SERVICE_TEMPLATES } from './render';
export { TEMPLATE_NAMES, fittedPoolSize } from './templates';
export type { TemplateInputs, TemplateName } from './templates';
export {
  urlEnvVar,
  libraryChartName,
  APP_UID,
  POSTGRES_UID,
  DEFAULT_BASE_IMAGES,
  BASE_IMAGE_FLAVORS,
  imageName,
  pythonPackageOf,
} from './conventions';
export { KUBE_LINTER_DEFAULT_CHECKS, valuesTable } from './docs';
export type { ValueRow } from './docs';
export {
  TemplateInputError,
  SERVICE_TYPES,
  DATABASE_MODES,
  AI_PROVIDERS,
  RESERVED_NAMESPACES,
  isDnsLabel,
  isDnsSubdomain,
  checkService,
  checkEnvironment,
  checkChartInput,
} from './inputs';
export type {
  ServiceType,
  DatabaseMode,
  AiProvider,
  ServiceSpec,
  ChartMeta,
  ChartInput,
  ServiceTemplateInput,
  EnvironmentSpec,
  EnvValuesInput,
  DockerfileInput,
  MinikubeProfileInput,
  NamespaceInput,
  AppInput,
} from './inputs';
