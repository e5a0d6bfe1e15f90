/**
 * The dev loop's only way into the deploy (src/deploy). Everything the loop takes from it is named
 * here: DeployRun (one deploy's shared state), runSteps and the step objects.
 *
 *   resolveDeployOptions(options, ws)  --offline as deploy-<env> resolves it (stand-ins built or reused,
 *                                      their values file first)
 *   devDeployRun(options, workspace)   a DeployRun with the dev configuration: each image's `dev`
 *                                      target (repository <image>-dev) and --set dev.enabled=true
 *   upToDate(run)                      every deploy step, as deploy-<env> runs them, except that the
 *                                      cluster must already run (the loop never creates one)
 *   rebuildAndUpgrade(run, svcs)       one pass on the session's DeployRun (passRun: option
 *                                      keepSyncedPods, the loop's own synced pods stay; only images and
 *                                      the release are read again): build + load of those services'
 *                                      images, then the release step; the other images keep their plans
 *                                      and records (the image their pods run)
 *
 * The session resolves its scope, tools and cluster options once (devDeployRun, then upToDate's tools
 * step); no pass builds another DeployRun or copies state from one to the next.
 */
import { ClusterError } from '@todo/cluster';
import { DeployOptions, DeployRun, Step, StepsResult, Workspace, appUrl, buildStep, clusterStep, deploySteps, describeFailure, loadStep, otherImagesStep, releaseStep, resolveDeployOptions, runSteps, runStepsReadingAhead } from '../deploy';

export { ClusterError, DeployRun, appUrl, resolveDeployOptions };

export type DevDeployOptions = Pick<DeployOptions, 'environment' | 'release' | 'context' | 'values' | 'set' | 'timeout' | 'offline' | 'localRegistry'>;

export const DEV_IMAGE_SUFFIX = '-dev';

/** The run's failure as the loop prints it (the deploy's wording, without its prefix). */
export const describeError = (e: unknown) => describeFailure(e).replace(/^deploy: /, '');

export function devDeployRun(options: DevDeployOptions, workspace: Workspace): DeployRun {
  const run = new DeployRun({ ...options, set: [...(options.set ?? []), 'dev.enabled=true'], smoke: true }, workspace);
  for (const image of run.images) image.build = { ...image.build, image: `${image.build.image}${DEV_IMAGE_SUFFIX}`, target: 'dev' };
  return run;
}

/** The cluster step's check, refusing to create or repair: the loop starts on a running cluster. */
const requireCluster: Step<DeployRun> = {
  name: 'cluster',
  async needed(run) {
    const check = await clusterStep.needed(run);
    if (check.needed)
      throw new ClusterError(
        'cluster',
        `the environment's cluster is not up: ${check.reason.replace(/: (creating|starting|repairing) it$|: repairing$/, '')}`,
        `start it first: npx nx run ${run.config.chart.name}:deploy-${run.name} (creates or repairs the cluster and deploys), or npx nx run cluster:cluster-up`,
      );
    return check;
  },
  run: () => true,
};

export function upToDate(run: DeployRun, log: (line: string) => void): Promise<StepsResult> {
  return runStepsReadingAhead(deploySteps(run).map((s) => (s === clusterStep ? requireCluster : s)), run, log, `${run.name}.dev-reads.json`);
}

/** The session's run made ready for a pass: keepSyncedPods, and the images of `services` (and the release) to be read again. */
export function passRun(run: DeployRun, services: string[]): DeployRun {
  run.options.keepSyncedPods = true;
  run.nextPass(services);
  return run;
}

/**
 * Rebuilds and loads `services` (none: a chart change), then the release step, on the session's run.
 * `forceBuild`: why the builds run even when the daemon has the content tag (an explicit request).
 */
export async function rebuildAndUpgrade(run: DeployRun, services: string[], log: (line: string) => void, forceBuild?: string): Promise<StepsResult> {
  passRun(run, services);
  const images = run.images.filter((i) => services.includes(i.service));
  const steps: Step<DeployRun>[] = [...images.map((i) => buildStep(i, forceBuild)), ...images.map((i) => loadStep(i))];
  if (services.length) steps.push(otherImagesStep);
  steps.push(releaseStep);
  return runSteps(steps, run, log);
}
