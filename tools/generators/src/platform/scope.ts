/**
 * What every environment executor starts from: environments.json read once, the environment, and its
 * target (targetFor in @todo/cluster: cluster, kube context, kubeconfig, helm/kubectl scope args).
 * From here the target is passed on by reference; nothing derives a context again.
 *
 * The context adds the tools, {helm, kubectl}, found here and nowhere else by @todo/cluster's one order
 * (never downloaded; the deploy's tools step is what installs them, and a DeployRun is a context too):
 * status, rollback, uninstall, backup, restore, logs, port-forward and the dev loop read ctx.tools.
 */
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ClusterError, EnvTarget, Helm, findHelm, findTool, targetFor } from '@todo/cluster';
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

export interface EnvTools {
  helm: Helm;
  /** Undefined when no kubectl was found (KUBECTL, KUBECTL_BIN, PATH, .tools/bin). */
  kubectl: string | undefined;
}

export interface EnvContext extends EnvScope {
  tools: EnvTools;
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

/**
 * The scope plus its tools, each looked up once, when first used (so logs-<env> needs no Helm, and
 * rollback-<env> no kubectl). The deploy finds and installs its tools in its tools step (DeployRun).
 */
export function envContext(options: EnvExecutorOptions, context: Pick<ExecutorContext, 'root'>): EnvContext {
  const scope = envScope(options, context);
  const found: Partial<EnvTools> = {};
  const tools: EnvTools = {
    get helm() {
      return (found.helm ??= findHelm(scope.workspaceRoot));
    },
    get kubectl() {
      if (!('kubectl' in found)) found.kubectl = findTool('kubectl');
      return found.kubectl;
    },
  };
  return { ...scope, tools };
}

/**
 * The context's kubectl for a command that cannot go on without it: a ClusterError naming where it was
 * looked for and the fix. A dry run only prints commands: the bare name serves when there is none.
 */
export function requireKubectl(ctx: EnvContext, step: string): string {
  const kubectl = ctx.tools.kubectl;
  if (kubectl) return kubectl;
  if (ctx.dryRun) return 'kubectl';
  throw new ClusterError(step, 'kubectl not found (KUBECTL, KUBECTL_BIN, PATH, .tools/bin)', 'put it on PATH, set KUBECTL, or run `npx nx run cluster:tools`');
}
