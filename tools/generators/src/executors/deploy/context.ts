/**
 * Everything a deploy needs, gathered once: the environment, its cluster, the tools, the service
 * images and the values Helm gets. Steps read it and fill in what they find (tools, image records).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ClusterTarget, parseClusterField } from '../../../../cluster/src/environments';
import { kindOptions, type KindOptions } from '../../../../cluster/src/kind';
import { minikubeOptions } from '../../../../cluster/src/minikube';
import type { DockerBuildExecutorSchema } from '../docker-build/schema';
import type { BuildPlan } from '../docker-build/executor';
import { type EnvScope, envScope } from '../lib/context';
import type { ImageRecord } from '../lib/docker';
import type { Helm } from '../lib/helm';
import type { DeployExecutorSchema } from './schema';

export interface ServiceImage {
  service: string;
  /** The image project (apps/<service>-image). */
  project: string;
  build: DockerBuildExecutorSchema;
  plan?: BuildPlan;
  record?: ImageRecord;
}

export interface DeployTools {
  docker: string;
  kubectl: string;
  helm: Helm;
  kind?: string;
  minikube?: string;
}

export interface DeployContext extends EnvScope {
  cluster: ClusterTarget;
  /** kind only: ports, node image, kubeconfig. */
  kind?: KindOptions;
  /** Registry the images are pushed to (environment "registry"); empty: loaded into the node. */
  registry: string;
  images: ServiceImage[];
  /** -f files in order: values.yaml, values-<env>.yaml, then --values. */
  valuesFiles: string[];
  sets: string[];
  timeout: string;
  options: DeployExecutorSchema;
  /** Set by the tools step. */
  tools: DeployTools;
  /**
   * The dev loop's own passes (dev/): leave pods with synced files (the sync marker) in place. Every
   * other deploy replaces them with image-built ones.
   */
  keepSyncedPods?: boolean;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The docker-build options of a service's image project, for this environment. */
function imageFor(service: string, nx: ExecutorContext, environment: string): ServiceImage {
  const project = `${service}-image`;
  const fromGraph = nx.projectsConfigurations?.projects?.[project];
  const projectJson = join(nx.root, 'apps', project, 'project.json');
  const target = fromGraph?.targets?.['docker-build'] ?? (existsSync(projectJson) ? readJson<{ targets?: Record<string, { options?: unknown }> }>(projectJson).targets?.['docker-build'] : undefined);
  if (!target?.options)
    throw new Error(
      `Service "${service}" has no image project: apps/${project}/project.json with a docker-build target is missing. ` +
        `Re-create it with \`npx nx g service ${service}\` (or \`npx nx g chart\`).`,
    );
  return { service, project, build: { ...(target.options as DockerBuildExecutorSchema), environment } };
}

export function deployContext(options: DeployExecutorSchema, nx: ExecutorContext): DeployContext {
  const scope = envScope(options, nx);
  const { workspaceRoot, config, env, chartDir } = scope;
  const kindName = process.env.KIND_CLUSTER_NAME || config.chart.name;
  const cluster = parseClusterField(env.cluster, env.cluster === 'kind' ? kindName : config.chart.name);
  const extra = (options.values ?? []).map((f) => (isAbsolute(f) ? f : join(workspaceRoot, f)));
  for (const f of extra) if (!existsSync(f)) throw new Error(`Values file ${f} (--values) does not exist`);
  const envValues = join(chartDir, `values-${options.environment}.yaml`);
  if (!existsSync(envValues))
    throw new Error(`${config.chart.directory}/values-${options.environment}.yaml is missing; re-create it with \`npx nx g chart\``);
  return {
    ...scope,
    cluster,
    kind: cluster.type === 'kind' ? kindOptions(cluster.name) : undefined,
    registry: (env.registry ?? '').replace(/\/+$/, ''),
    images: Object.keys(config.services).map((s) => imageFor(s, nx, options.environment)),
    valuesFiles: [join(chartDir, 'values.yaml'), envValues, ...extra],
    sets: options.set ?? [],
    timeout: options.timeout ?? '5m',
    options,
    tools: undefined as unknown as DeployTools,
  };
}

/** Where the ingress listens: kind and minikube publish it on the host (cluster-up); a real cluster at its host name. */
export function ingressAddress(ctx: DeployContext): { address: string; port: number } {
  if (ctx.cluster.type === 'kind') return { address: ctx.kind!.listenAddress, port: ctx.kind!.httpPort };
  if (ctx.cluster.type === 'minikube') {
    const o = minikubeOptions(ctx.cluster.name);
    return { address: o.listenAddress, port: o.httpPort };
  }
  return { address: ctx.env.host, port: 80 };
}

export function appUrl(ctx: DeployContext): string {
  const { port } = ingressAddress(ctx);
  return `http://${ctx.env.host}${port === 80 ? '' : `:${port}`}/`;
}

/** The repository:tag the chart gets for a service image (registry-prefixed by the chart itself). */
export function chartImageSets(ctx: DeployContext): string[] {
  return ctx.images.flatMap((i) => {
    // A dry run has no record (nothing was built): the planned content tag is what a real run would set.
    const image = i.record?.image ?? i.plan?.image;
    const tag = i.record?.contentTag ?? i.plan?.tags[0];
    return image && tag ? [`services.${i.service}.image.repository=${image}`, `services.${i.service}.image.tag=${tag}`] : [];
  });
}
