/**
 * deploy-<env>: a list of steps, each with needed() and run(). Today: the namespace (with the
 * restricted Pod Security labels, which `helm --create-namespace` cannot add) and the Helm release.
 * The image chain (build, kind load / registry push, skip when the node has the image) slots in
 * before the release step.
 */
import type { ExecutorContext } from '@nx/devkit';
import { render } from '@todo/k8s-templates';
import { EnvContext, envContext, helmScope } from '../lib/context';
import { exec } from '../lib/exec';
import { findKubectl, rollbackOnFailureFlag } from '../lib/helm';
import { capture } from '../lib/proc';
import { Step, runSteps } from '../lib/steps';
import type { DeployExecutorSchema } from './schema';

type DeployContext = EnvContext & { options: DeployExecutorSchema };

export const namespaceStep: Step<DeployContext> = {
  name: 'namespace',
  needed(ctx) {
    if (ctx.dryRun) return { needed: true, reason: `ensure namespace ${ctx.namespace} (dry run: not checked)` };
    const kubectl = findKubectl();
    if (!kubectl)
      return { needed: false, reason: 'kubectl not found (set KUBECTL or PATH); helm --create-namespace creates it without Pod Security labels' };
    const r = capture(kubectl, ['--context', ctx.kubeContext, '--request-timeout=15s', 'get', 'namespace', ctx.namespace, '-o', 'json']);
    if (r.status !== 0)
      return { needed: true, reason: /NotFound|not found/.test(r.stderr) ? `create namespace ${ctx.namespace}` : `cannot read namespace ${ctx.namespace}: ${r.stderr.trim().split('\n')[0]}` };
    const labels = (JSON.parse(r.stdout).metadata?.labels ?? {}) as Record<string, string>;
    return labels['pod-security.kubernetes.io/enforce'] === 'restricted'
      ? { needed: false, reason: `namespace ${ctx.namespace} exists with restricted Pod Security` }
      : { needed: true, reason: `label namespace ${ctx.namespace} for restricted Pod Security` };
  },
  run(ctx) {
    const manifest = render('k8s/namespace.yaml', { name: ctx.namespace, environment: ctx.name });
    return exec(ctx.dryRun, findKubectl() ?? 'kubectl', ['--context', ctx.kubeContext, 'apply', '-f', '-'], manifest);
  },
};

export function upgradeArgs(ctx: DeployContext): string[] {
  const dir = ctx.chartDir;
  return [
    'upgrade', '--install', ctx.release, dir,
    ...helmScope(ctx),
    '--create-namespace',
    '-f', `${dir}/values.yaml`,
    '-f', `${dir}/values-${ctx.name}.yaml`,
    ...(ctx.options.set ?? []).flatMap((kv) => ['--set', kv]),
    '--wait',
    '--timeout', ctx.options.timeout ?? '5m',
    rollbackOnFailureFlag(ctx.helm),
  ];
}

export const releaseStep: Step<DeployContext> = {
  name: 'helm release',
  // Comparing the release's stored values and chart digest (to skip) comes with the image chain.
  needed: (ctx) => ({ needed: true, reason: `helm upgrade --install ${ctx.release} (Helm ${ctx.helm.version}) into ${ctx.namespace}` }),
  run: (ctx) => exec(ctx.dryRun, ctx.helm.bin, upgradeArgs(ctx)),
};

export const DEPLOY_STEPS: Step<DeployContext>[] = [namespaceStep, releaseStep];

export default async function deployExecutor(options: DeployExecutorSchema, context: ExecutorContext) {
  const ctx: DeployContext = { ...envContext(options, context), options };
  console.log(`Deploying ${ctx.config.chart.name} to ${ctx.name} (context ${ctx.kubeContext}, namespace ${ctx.namespace})`);
  const result = await runSteps(DEPLOY_STEPS, ctx);
  if (result.success && !ctx.dryRun) console.log(`Deployed: http://${ctx.env.host}/`);
  return { success: result.success };
}
