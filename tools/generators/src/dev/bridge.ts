/**
 * The dev loop's only way into the deploy chain (executors/deploy). Everything the loop takes from it
 * is named here, so a restructured deploy (a DeployRun object, steps/*.ts) has one file to re-wire:
 *
 *   devDeployContext(options, nx)   the deploy's context with the dev configuration: each image's
 *                                   `dev` target (repository <image>-dev) and --set dev.enabled=true
 *   upToDate(ctx)                   every deploy step, as deploy-<env> runs them, except that the
 *                                   cluster must already run (the loop never creates one)
 *   rebuildAndUpgrade(ctx, svcs)    build + load of those services' images, then the release step
 *                                   (the other images keep the records of their last build)
 */
import type { ExecutorContext } from '@nx/devkit';
import { DeployContext, appUrl, deployContext } from '../executors/deploy/context';
import { deploySteps } from '../executors/deploy/executor';
import { buildStep, clusterStep, loadStep, otherImagesStep, releaseStep } from '../executors/deploy/steps';
import { runSteps, type Step, type StepsResult } from '../executors/lib/steps';
import { ClusterError } from '../../../cluster/src/errors';

export type { DeployContext };
export { appUrl, ClusterError };

export interface DevDeployOptions {
  environment: string;
  release?: string;
  context?: string;
  values?: string[];
  set?: string[];
  timeout?: string;
}

export const DEV_IMAGE_SUFFIX = '-dev';

export function devDeployContext(options: DevDeployOptions, nx: ExecutorContext): DeployContext {
  const ctx = deployContext({ ...options, set: [...(options.set ?? []), 'dev.enabled=true'], smoke: true }, nx);
  for (const image of ctx.images) image.build = { ...image.build, image: `${image.build.image}${DEV_IMAGE_SUFFIX}`, target: 'dev' };
  return ctx;
}

/** The cluster step's check, refusing to create or repair: the loop starts on a running cluster. */
const requireCluster: Step<DeployContext> = {
  name: 'cluster',
  async needed(ctx) {
    const check = await clusterStep.needed(ctx);
    if (check.needed)
      throw new ClusterError(
        'cluster',
        `the environment's cluster is not up: ${check.reason.replace(/: (creating|starting|repairing) it$|: repairing$/, '')}`,
        `start it first: npx nx run ${ctx.config.chart.name}:deploy-${ctx.name} (creates or repairs the cluster and deploys), or npx nx run cluster:cluster-up`,
      );
    return check;
  },
  run: () => true,
};

export function upToDate(ctx: DeployContext, log: (line: string) => void): Promise<StepsResult> {
  return runSteps(deploySteps(ctx).map((s) => (s === clusterStep ? requireCluster : s)), ctx, log);
}

export function rebuildAndUpgrade(ctx: DeployContext, services: string[], log: (line: string) => void): Promise<StepsResult> {
  const nodeCache = new Map();
  const images = ctx.images.filter((i) => services.includes(i.service));
  const steps: Step<DeployContext>[] = [...images.map((i) => buildStep(i)), ...images.map((i) => loadStep(i, nodeCache))];
  if (services.length) steps.push(otherImagesStep(nodeCache));
  steps.push(releaseStep());
  return runSteps(steps, ctx, log);
}
