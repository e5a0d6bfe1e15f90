/**
 * The typed template API: `render(name, input)` checks the input, builds the template's view (the table
 * in templates.ts) and returns the text. `renderChart()`, `renderImage()` and `renderApp()` assemble
 * whole file sets from it.
 *
 * Helm syntax: templates are Handlebars; everything Helm must see is written `\{{ ... }}`, which
 * Handlebars emits verbatim as `{{ ... }}`. Unescaped `{{ ... }}` is always Handlebars.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { AppInput, ChartInput, DockerfileInput, EnvValuesInput, ServiceSpec, checkApp } from './inputs';
import { HELPERS } from './helpers';
import { libraryChartName } from './conventions';
import { DEFS, TEMPLATE_NAMES, TemplateDef, TemplateInputs, TemplateName } from './templates';

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
  const text = compile(name)(def.view(checked, render));
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
