/**
 * Writes the generated output (chart, image projects, environment values, cluster configs) into an
 * Nx Tree, from environments.json through @todo/k8s-templates. Every generator ends up here, so
 * `nx g chart` on an unchanged workspace writes nothing (that is the drift test).
 */
import type { Tree } from '@nx/devkit';
import {
  ChartInput,
  EnvironmentSpec,
  ServiceSpec,
  render,
  renderChart,
  renderImage,
} from '@todo/k8s-templates';
import { CONFIG_FILE, EnvironmentEntry, PlatformConfig, ServiceEntry, parseConfig, serializeConfig } from './config';

/** Kubernetes versions the chart declares: every API it uses is GA from 1.33 through 1.37. */
export const KUBE_VERSION_RANGE = '>=1.33.0-0 <1.38.0-0';
export const CHART_DESCRIPTION = 'Todo app: FastAPI backend, Next.js frontend and PostgreSQL, with restricted pod security.';

export function readConfig(tree: Tree): PlatformConfig | undefined {
  const text = tree.read(CONFIG_FILE, 'utf-8');
  return text === null ? undefined : parseConfig(text);
}

export function writeConfig(tree: Tree, config: PlatformConfig): void {
  tree.write(CONFIG_FILE, serializeConfig(config));
}

export function toServiceSpec(name: string, s: ServiceEntry): ServiceSpec {
  return { name, ...s };
}

export function toEnvironmentSpec(name: string, e: EnvironmentEntry): EnvironmentSpec {
  return { name, ...e };
}

function appVersion(tree: Tree): string {
  const pkg = tree.read('package.json', 'utf-8');
  try {
    return (pkg && (JSON.parse(pkg).version as string)) || '0.1.0';
  } catch {
    return '0.1.0';
  }
}

export function chartInput(tree: Tree, config: PlatformConfig): ChartInput {
  return {
    chart: {
      name: config.chart.name,
      version: config.chart.version,
      appVersion: appVersion(tree),
      kubeVersion: KUBE_VERSION_RANGE,
      description: CHART_DESCRIPTION,
    },
    services: Object.entries(config.services).map(([n, s]) => toServiceSpec(n, s)),
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** charts/<name>/project.json: the Nx project "todo" with lint/template; deploy-<env> etc. are inferred. */
export function chartProjectJson(config: PlatformConfig): string {
  const dir = config.chart.directory;
  const depth = dir.split('/').length;
  const inputs = ['{projectRoot}/**/*', `{workspaceRoot}/${CONFIG_FILE}`, '{workspaceRoot}/scripts/go-tool.sh', { env: 'HELM3' }, { env: 'HELM4' }];
  return json({
    name: config.chart.name,
    $schema: `${'../'.repeat(depth)}node_modules/nx/schemas/project-schema.json`,
    projectType: 'application',
    tags: ['type:chart'],
    targets: {
      lint: {
        executor: '@todo/generators:chart-lint',
        options: { helm: ['helm3', 'helm4'] },
        cache: true,
        inputs,
        metadata: { description: 'helm lint --strict with each values-<env>.yaml, Helm 3 and Helm 4' },
      },
      template: {
        executor: '@todo/generators:chart-template',
        options: { outputPath: `dist/${dir}` },
        cache: true,
        inputs,
        outputs: [`{workspaceRoot}/dist/${dir}`],
        metadata: { description: 'helm template with each values-<env>.yaml into dist/' },
      },
    },
  });
}

/** apps/<name>-image/project.json: the image project of one service. */
export function imageProjectJson(name: string, service: ServiceEntry): string {
  const app = `apps/${name}`;
  const image = `todo-${name}`;
  const sources =
    service.type === 'fastapi'
      ? [`{workspaceRoot}/${app}/**/*`, `!{workspaceRoot}/${app}/.venv/**/*`, `!{workspaceRoot}/${app}/tests/**/*`]
      : [`{workspaceRoot}/${app}/**/*`, `!{workspaceRoot}/${app}/.next/**/*`, '{workspaceRoot}/package-lock.json'];
  return json({
    name: `${name}-image`,
    $schema: '../../node_modules/nx/schemas/project-schema.json',
    projectType: 'application',
    tags: ['type:image', `image:${service.type}`],
    namedInputs: { image: ['{projectRoot}/Dockerfile', '{projectRoot}/Dockerfile.dockerignore', ...sources] },
    targets: {
      'docker:build': {
        executor: 'nx:run-commands',
        options: {
          cwd: '{workspaceRoot}',
          command: `docker build --file apps/${name}-image/Dockerfile --tag ${image}:\${IMAGE_TAG:-dev} \${BASE_IMAGE:+--build-arg BASE_IMAGE=$BASE_IMAGE} .`,
          env: { DOCKER_BUILDKIT: '1' },
        },
        inputs: ['image', { env: 'IMAGE_TAG' }, { env: 'BASE_IMAGE' }],
        cache: false,
        metadata: { description: `Build ${image}:$IMAGE_TAG (default dev) from the workspace root; BASE_IMAGE overrides the base image` },
      },
      'docker:run': {
        executor: 'nx:run-commands',
        dependsOn: ['docker:build'],
        options: {
          cwd: '{workspaceRoot}',
          command: `docker run --rm --read-only --tmpfs /tmp${service.type === 'nextjs' ? ` --tmpfs /app/apps/${name}/.next/cache` : ''} --user 10001:10001 -p ${service.port}:${service.port} ${image}:\${IMAGE_TAG:-dev}`,
        },
        cache: false,
        continuous: true,
        metadata: { description: `Run ${image} locally the way the cluster runs it (read-only root, numeric user)` },
      },
    },
  });
}

/** Files under the chart directory that the generators own (anything else there is left alone). */
function isManagedChartFile(path: string): boolean {
  return (
    path.startsWith('templates/') ||
    path.startsWith('clusters/') ||
    /^values(-[a-z0-9-]+)?\.yaml$/.test(path) ||
    ['Chart.yaml', 'values.schema.json', '.helmignore', 'project.json'].includes(path)
  );
}

function listFiles(tree: Tree, dir: string, prefix = ''): string[] {
  if (!tree.exists(dir)) return [];
  return tree.children(dir).flatMap((child) => {
    const full = `${dir}/${child}`;
    return tree.isFile(full) ? [`${prefix}${child}`] : listFiles(tree, full, `${prefix}${child}/`);
  });
}

/** Cluster configs for the local cluster kinds the environments use. */
export function clusterFiles(config: PlatformConfig): Record<string, string> {
  const kinds = new Set(Object.values(config.environments).map((e) => e.cluster));
  const files: Record<string, string> = {};
  if (kinds.has('kind'))
    files['clusters/kind.yaml'] = render('cluster/kind.yaml', {
      name: config.chart.name,
      nodeImage: `kindest/node:v${config.chart.kubernetesVersion}`,
      httpPort: 80,
      httpsPort: 443,
    });
  if (kinds.has('minikube'))
    files['clusters/minikube.yaml'] = render('cluster/minikube.yaml', {
      profile: config.chart.name,
      kubernetesVersion: `v${config.chart.kubernetesVersion}`,
      driver: 'docker',
      cpus: 2,
      memoryMb: 4096,
    });
  return files;
}

/** Renders everything derived from environments.json into the tree and removes managed files that no longer derive. */
export function writeAll(tree: Tree, config: PlatformConfig): void {
  const input = chartInput(tree, config);
  const dir = config.chart.directory;
  const files: Record<string, string> = {
    ...renderChart({
      ...input,
      environments: Object.entries(config.environments).map(([n, e]) => toEnvironmentSpec(n, e)),
    }),
    ...clusterFiles(config),
    'project.json': chartProjectJson(config),
  };
  for (const path of listFiles(tree, dir)) if (isManagedChartFile(path) && !(path in files)) tree.delete(`${dir}/${path}`);
  for (const [path, text] of Object.entries(files)) tree.write(`${dir}/${path}`, text);
  for (const service of input.services) writeImageProject(tree, service);
}

export function writeImageProject(tree: Tree, service: ServiceSpec): void {
  const root = `apps/${service.name}-image`;
  for (const [path, text] of Object.entries(renderImage({ service }))) tree.write(`${root}/${path}`, text);
  const { name, ...entry } = service;
  tree.write(`${root}/project.json`, imageProjectJson(name, entry));
}
