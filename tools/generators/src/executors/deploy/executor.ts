/**
 * deploy-<env> (`npx nx run todo:deploy-local`): from a clone to the app behind the ingress, doing only
 * what the real state says is missing. Steps (steps.ts): tools, cluster, namespace, build and load each
 * service image, other images the chart uses, the Helm release, a smoke check through the ingress.
 * Every step prints what it does or why it skipped, with its time; a failure names the step, the cause
 * and the fix. The timings go to dist/deploy/<env>.json (read by the deploy benchmark).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ClusterError } from '../../../../cluster/src/errors';
import { Step, StepTiming, StepsResult, runSteps } from '../lib/steps';
import { DeployContext, appUrl, deployContext } from './context';
import { buildStep, clusterStep, loadStep, namespaceStep, otherImagesStep, releaseStep, smokeStep, toolsStep } from './steps';
import type { DeployExecutorSchema } from './schema';
import { offlineRequested, offlineStandIns } from './offline';
import { housekeeping } from '../prune/after-deploy';
import { keepCount } from '../prune/prune';

export function deploySteps(ctx: DeployContext): Step<DeployContext>[] {
  const nodeCache = new Map();
  return [
    toolsStep,
    clusterStep,
    namespaceStep,
    ...ctx.images.map((i) => buildStep(i)),
    ...ctx.images.map((i) => loadStep(i, nodeCache)),
    otherImagesStep(nodeCache),
    releaseStep(),
    ...(ctx.options.smoke === false ? [] : [smokeStep]),
  ];
}

export default async function deployExecutor(options: DeployExecutorSchema, context: ExecutorContext) {
  const started = Date.now();
  let ctx: DeployContext;
  try {
    // --offline / TODO_OFFLINE=1: the stand-ins first (they set KIND_NODE_IMAGE and friends), see offline/.
    keepCount(options.keep); // a bad --keep / TODO_KEEP_IMAGES is refused before anything runs
    const offlineValues = offlineRequested(options.offline) ? [offlineStandIns(context.root, options.dryRun)] : [];
    ctx = deployContext({ ...options, values: [...offlineValues, ...(options.values ?? [])].filter(Boolean) }, context);
  } catch (e) {
    console.error(`deploy: ${e instanceof ClusterError ? e.format() : (e as Error).message}`);
    return { success: false };
  }
  console.log(`Deploying ${ctx.config.chart.name} to environment ${ctx.name}: ${ctx.cluster.type} ${ctx.cluster.name}, context ${ctx.kubeContext}, namespace ${ctx.namespace}${ctx.dryRun ? ' (dry run)' : ''}`);
  let result: StepsResult;
  let failure: string | undefined;
  try {
    result = await runSteps(deploySteps(ctx), ctx, console.log);
  } catch (e) {
    // Our own errors (ClusterError, or a plain Error with a message that says what to do) print as
    // text; anything else is a bug and keeps its stack.
    if (e instanceof ClusterError) failure = `deploy: ${e.format().replace(/^cluster: /, '')}`;
    else if (e instanceof Error && e.constructor === Error) failure = `deploy: ${e.message}`;
    else failure = `deploy: ${(e as Error).stack ?? e}`;
    console.error(failure);
    result = { success: false, ran: [], skipped: [], steps: (e as { steps?: StepTiming[] }).steps ?? [] };
  }
  const seconds = (Date.now() - started) / 1000;
  if (!ctx.dryRun) {
    // Written on failure too, so nobody reads an earlier run's success.
    const dir = join(ctx.workspaceRoot, 'dist', 'deploy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${ctx.name}.json`), `${JSON.stringify({ environment: ctx.name, success: result.success, seconds, ...(failure ? { error: failure } : {}), steps: result.steps }, null, 2)}\n`);
  }
  if (!result.success) return { success: false };
  if (!ctx.dryRun) housekeeping(ctx, options.keep); // keep-last-N of our images, see prune/
  console.log(ctx.dryRun ? 'Dry run: nothing was changed.' : `\nReady in ${seconds.toFixed(1)}s: ${appUrl(ctx)}`);
  return { success: result.success };
}
