/**
 * The project builders: the project.json of the chart project and of each image project, as
 * environments.json says they are. files.ts writes them (writeProject); nothing here touches a tree.
 */
import { ProjectConfiguration } from '@nx/devkit';
import { APP_UID, BASE_IMAGE_FLAVORS, imageName, pythonPackageOf, urlEnvVar } from '@todo/k8s-templates';
import { CONFIG_FILE, PlatformConfig, ServiceEntry } from './config';

/** A project.json's content: the devkit's configuration with its name. */
export type NamedProject = ProjectConfiguration & { name: string };

/**
 * charts/<name>/project.json: the Nx project "todo" with lint (helm lint, Helm 3 and 4), template, drift
 * (`nx g chart --check`: the chart and image projects equal what the generators render), test (the
 * chart check suite of tools/chart-checks, after drift) and check (the same checks as a report);
 * deploy-<env>, backup-<env>, restore-<env> etc. are inferred from environments.json.
 */
export function chartProject(config: PlatformConfig): NamedProject {
  const dir = config.chart.directory;
  const inputs = ['{projectRoot}/**/*', `{workspaceRoot}/${CONFIG_FILE}`, '{workspaceRoot}/scripts/go-tool.sh', { env: 'HELM3' }, { env: 'HELM4' }];
  const checkInputs = [
    ...inputs,
    '{workspaceRoot}/tools/chart-checks/**/*',
    '{workspaceRoot}/libs/k8s-templates/src/docs.ts',
    { env: 'KUBECONFORM' },
    { env: 'TODO_CACHE_DIR' },
  ];
  return {
    name: config.chart.name,
    root: dir,
    projectType: 'application',
    tags: ['type:chart'],
    // The chart deploys the images, so `nx affected` takes it along when an image (or its app) changes;
    // it is rendered by generators (from k8s-templates), so a generator change affects it too. Nothing
    // depends on the chart: a hand edit of it affects this project only, whose drift target catches it.
    implicitDependencies: ['chart-checks', 'generators', ...Object.keys(config.services).sort().map((s) => `${s}-image`)],
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
        // Like `production`: the chart's docs do not change the rendered manifests.
        inputs: [inputs[0], '!{projectRoot}/**/*.md', ...inputs.slice(1)],
        outputs: [`{workspaceRoot}/dist/${dir}`],
        metadata: { description: 'helm template with each values-<env>.yaml into dist/' },
      },
      drift: {
        executor: 'nx:run-commands',
        options: { command: 'nx g @todo/generators:chart --check --no-interactive' },
        cache: true,
        // What `nx g chart` reads: the generated files, environments.json, the version in package.json,
        // and the code of the generator and of the templates (without their tests).
        inputs: [
          '{projectRoot}/**/*',
          ...Object.keys(config.services).sort().map((s) => `{workspaceRoot}/apps/${s}-image/**/*`),
          `{workspaceRoot}/${CONFIG_FILE}`,
          '{workspaceRoot}/package.json',
          '{workspaceRoot}/tools/generators/*.json',
          '{workspaceRoot}/tools/generators/src/**/*',
          '!{workspaceRoot}/tools/generators/src/__tests__/**/*',
          '{workspaceRoot}/libs/k8s-templates/src/**/*',
          '!{workspaceRoot}/libs/k8s-templates/src/__tests__/**/*',
        ],
        metadata: {
          description: `Drift check (part of test): \`nx g chart --check\` fails if ${dir} or apps/*-image differ from what the generators render from ${CONFIG_FILE}`,
        },
      },
      test: {
        executor: 'nx:run-commands',
        dependsOn: ['drift'],
        options: { command: 'jest -c tools/chart-checks/jest.chart.config.ts --runInBand' },
        cache: true,
        inputs: checkInputs,
        outputs: [`{workspaceRoot}/reports/junit/${config.chart.name}.xml`],
        metadata: {
          description:
            'Chart check suite: helm lint --strict and template for every environment and scenario (Helm 3 and 4), kubeconform -strict at the lowest and highest Kubernetes version, Pod Security restricted + kube-linter default checks, template logic',
        },
      },
      check: {
        executor: 'nx:run-commands',
        options: { command: 'node -r @swc-node/register tools/chart-checks/src/cli.ts check' },
        cache: true,
        inputs: checkInputs,
        metadata: { description: 'The chart checks as one report: resources per environment, kubeconform and policy results' },
      },
    },
  };
}

/** apps/<name>-image/project.json: the image project of one service (targets docker-build, docker-run, scan, lint). */
export function imageProject(name: string, service: ServiceEntry, config?: PlatformConfig): NamedProject {
  const app = `apps/${name}`;
  const root = `apps/${name}-image`;
  const image = imageName(name);
  const isFastapi = service.type === 'fastapi';
  const pkg = service.asgiApp ? pythonPackageOf(service.asgiApp) : '';
  // What reaches the build (mirrors Dockerfile.dockerignore); `nx affected` uses implicitDependencies.
  const sources = isFastapi
    ? [`{workspaceRoot}/${app}/requirements.txt`, `{workspaceRoot}/${app}/${pkg}/**/*`, `!{workspaceRoot}/${app}/**/__pycache__/**/*`, `!{workspaceRoot}/${app}/**/*.md`]
    : [
        `{workspaceRoot}/${app}/**/*`,
        `!{workspaceRoot}/${app}/node_modules/**/*`,
        `!{workspaceRoot}/${app}/.next/**/*`,
        `!{workspaceRoot}/${app}/tests/**/*`,
        `!{workspaceRoot}/${app}/**/*.md`,
        '{workspaceRoot}/package.json',
        '{workspaceRoot}/package-lock.json',
      ];
  const environments = Object.keys(config?.environments ?? {});
  const urls = Object.fromEntries(
    (service.connectsTo ?? []).map((target) => [urlEnvVar(target), `http://${target}:${config?.services[target]?.port ?? 80}`]),
  );
  const run = isFastapi
    ? {
        env: {
          APP_ENV: 'production',
          DATABASE_URL: `sqlite:////data/${name}.db`,
          AI_PROVIDER: 'mock',
          ...(service.migrateModule ? { MIGRATE_ON_START: 'true' } : {}),
          ...urls,
        },
        passEnv: ['APP_ENV', 'DATABASE_URL', 'AI_PROVIDER', 'GROQ_API_KEY', 'LOG_LEVEL', ...Object.keys(urls)],
        generatedSecrets: ['JWT_SECRET'],
        tmpfs: ['/tmp'],
        volumes: [`${image}-data:/data`],
      }
    : {
        env: urls,
        passEnv: Object.keys(urls),
        tmpfs: ['/tmp', `/app/${app}/.next/cache:uid=${APP_UID},gid=${APP_UID}`],
      };
  return {
    name: `${name}-image`,
    root,
    projectType: 'application',
    tags: ['type:image', `image:${service.type}`],
    // The app it packages, and the templates its Dockerfile is rendered from.
    implicitDependencies: [name, 'k8s-templates'],
    namedInputs: { image: ['{projectRoot}/Dockerfile', '{projectRoot}/Dockerfile.dockerignore', ...(service.type === 'fastapi' ? ['{projectRoot}/dev_server.py'] : []), ...sources] },
    // nx release (tools/release): @nx/docker tags the image <registry>/<repositoryName>:v<version> and pushes it.
    release: { docker: { repositoryName: image } },
    targets: {
      'docker-build': {
        executor: '@todo/generators:docker-build',
        options: { image, dockerfile: `${root}/Dockerfile`, baseFlavor: BASE_IMAGE_FLAVORS[service.type], environment: 'local' },
        configurations: Object.fromEntries(environments.map((e) => [e, { environment: e }])),
        // Never cached by Nx: the executor compares the content key with the daemon (docker image inspect).
        cache: false,
        inputs: ['image', { env: 'TODO_BASE_IMAGES' }],
        metadata: {
          description: `Build ${image} unless the daemon has its content tag; tags v<version>-<env>, the commit and content-<key>; writes dist/images/${name}-image.json`,
          technologies: ['docker'],
        },
      },
      'docker-run': {
        executor: '@todo/generators:docker-run',
        dependsOn: ['docker-build'],
        options: { name: image, network: 'todo-local', networkAlias: name, ports: [`${service.port}:${service.port}`], ...run },
        cache: false,
        continuous: true,
        metadata: { description: `Run ${image} on 127.0.0.1:${service.port} the way the cluster runs it (read-only root, numeric user, network todo-local)`, technologies: ['docker'] },
      },
      scan: {
        executor: '@todo/generators:image-scan',
        dependsOn: ['docker-build'],
        options: { failOn: 'high' },
        cache: false,
        metadata: { description: `Trivy or Grype on ${image}; fails, saying how to install one, when neither is installed`, technologies: ['docker'] },
      },
      'nx-release-publish': {
        executor: '@nx/docker:release-publish',
        metadata: { description: `Push ${image}:v<version> (nx release publish only; tools/release/README.md)`, technologies: ['docker'] },
      },
      lint: {
        executor: '@todo/generators:hadolint',
        options: { dockerfiles: [`${root}/Dockerfile`] },
        cache: true,
        inputs: ['{projectRoot}/Dockerfile', '{workspaceRoot}/scripts/py-tool.sh', { env: 'HADOLINT' }],
        metadata: { description: 'hadolint on the Dockerfile; any finding fails', technologies: ['docker'] },
      },
    },
  };
}
