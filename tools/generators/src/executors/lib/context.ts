/** What every environment executor needs: the platform config, the environment, Helm, the kube context. */
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { EnvironmentEntry, PlatformConfig, environmentOrThrow, kubeContext, readConfigFromDisk } from '../../platform/config';
import { Helm, findHelm } from './helm';

export interface EnvExecutorOptions {
  /** Environment name (a key of environments.json "environments"). */
  environment: string;
  /** Helm release name; default: the chart name. */
  release?: string;
  /** Kube context; default: derived from the environment's cluster. */
  context?: string;
  /** Print the commands instead of running them. */
  dryRun?: boolean;
}

export interface EnvContext {
  workspaceRoot: string;
  config: PlatformConfig;
  name: string;
  env: EnvironmentEntry;
  release: string;
  namespace: string;
  kubeContext: string;
  /** CLUSTER_KUBECONFIG for kind environments (where cluster-up wrote the context); else KUBECONFIG applies. */
  kubeconfig?: string;
  chartDir: string;
  helm: Helm;
  dryRun: boolean;
}

/** An environment's scope without Helm: what deploy builds on (it finds Helm in its own tools step). */
export type EnvScope = Omit<EnvContext, 'helm'>;

export function envScope(options: EnvExecutorOptions, context: ExecutorContext): EnvScope {
  const workspaceRoot = context.root;
  const config = readConfigFromDisk(workspaceRoot);
  const env = environmentOrThrow(config, options.environment);
  return {
    workspaceRoot,
    config,
    name: options.environment,
    env,
    release: options.release ?? config.chart.name,
    namespace: env.namespace,
    kubeContext: options.context ?? defaultKubeContext(config, env),
    kubeconfig: env.cluster === 'kind' ? process.env.CLUSTER_KUBECONFIG || undefined : undefined,
    chartDir: join(workspaceRoot, config.chart.directory),
    dryRun: options.dryRun ?? false,
  };
}

export function envContext(options: EnvExecutorOptions, context: ExecutorContext): EnvContext {
  const scope = envScope(options, context);
  return { ...scope, helm: findHelm(scope.workspaceRoot) };
}

/** --kube-context / --namespace, common to every helm call of an environment. */
export function helmScope(ctx: EnvContext): string[] {
  return [...(ctx.kubeconfig ? ['--kubeconfig', ctx.kubeconfig] : []), '--kube-context', ctx.kubeContext, '--namespace', ctx.namespace];
}

/**
 * The environment's kube context. A kind environment's cluster is named after the chart ("todo",
 * context kind-todo) unless KIND_CLUSTER_NAME names another, as for `nx run cluster:cluster-up`.
 */
export function defaultKubeContext(config: PlatformConfig, env: EnvironmentEntry): string {
  if (env.cluster === 'kind' && process.env.KIND_CLUSTER_NAME) return `kind-${process.env.KIND_CLUSTER_NAME}`;
  return kubeContext(config, env);
}
