/**
 * What every environment executor starts from: environments.json read once, the environment, and its
 * target (targetFor in @todo/cluster: cluster, kube context, kubeconfig, helm/kubectl scope args).
 * From here the target is passed on by reference; nothing derives a context again.
 */
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { EnvTarget, Helm, findHelm, targetFor } from '@todo/cluster';
import { EnvironmentEntry, PlatformConfig, environmentOrThrow, readConfigFromDisk } from './config';

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

export interface EnvScope {
  workspaceRoot: string;
  config: PlatformConfig;
  name: string;
  env: EnvironmentEntry;
  release: string;
  namespace: string;
  target: EnvTarget;
  chartDir: string;
  dryRun: boolean;
}

export interface EnvContext extends EnvScope {
  helm: Helm;
}

export function envScope(options: EnvExecutorOptions, context: Pick<ExecutorContext, 'root'>): EnvScope {
  const workspaceRoot = context.root;
  const config = readConfigFromDisk(workspaceRoot);
  const env = environmentOrThrow(config, options.environment);
  const target = targetFor(options.environment, { config, context: options.context });
  return {
    workspaceRoot,
    config,
    name: options.environment,
    env,
    release: options.release ?? config.chart.name,
    namespace: target.namespace,
    target,
    chartDir: join(workspaceRoot, config.chart.directory),
    dryRun: options.dryRun ?? false,
  };
}

/** The scope plus Helm (status, rollback, uninstall, backup, restore; deploy finds Helm in its tools step). */
export function envContext(options: EnvExecutorOptions, context: Pick<ExecutorContext, 'root'>): EnvContext {
  const scope = envScope(options, context);
  return { ...scope, helm: findHelm(scope.workspaceRoot) };
}
