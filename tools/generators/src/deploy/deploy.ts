/**
 * The deploy chain of an environment, from a clone to the app behind the ingress, doing only what the
 * real state says is missing:
 *
 *   tools -> cluster -> namespace -> build <svc>... -> load <svc>... -> other images -> helm release -> smoke check
 *
 * Every step prints what it does or why it skipped, with its time; a failure names the step, the cause
 * and the fix. `deploy-<env>` (executors/deploy) and the dev loop call deployEnvironment(); the dev loop
 * may also run single steps on its own DeployRun (runSteps([loadStep(image), releaseStep], run)).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError } from '@todo/cluster';
import { housekeeping } from './housekeeping';
import { resolveDeployOptions } from './options';
import { DeployOptions, DeployRun, Workspace } from './run';
import { Step, StepTiming, StepsResult, runSteps } from './step';
import { clusterStep } from './steps/cluster';
import { buildStep } from './steps/build';
import { loadStep } from './steps/load';
import { namespaceStep } from './steps/namespace';
import { otherImagesStep } from './steps/other-images';
import { releaseStep } from './steps/release';
import { appUrl, smokeStep } from './steps/smoke';
import { toolsStep } from './steps/tools';

export function deploySteps(run: DeployRun): Step<DeployRun>[] {
  return [
    toolsStep,
    clusterStep,
    namespaceStep,
    ...run.images.map((i) => buildStep(i)),
    ...run.images.map((i) => loadStep(i)),
    otherImagesStep,
    releaseStep,
    ...(run.options.smoke === false ? [] : [smokeStep]),
  ];
}

/**
 * runSteps with the checks' reads started together (read-ahead.ts): answered from dist/deploy/`readsFile`
 * (what the last successful run's checks read), which a success rewrites. The dev loop's start-up runs its
 * steps this way too, with a file of its own (its images are the dev ones).
 *
 * `buildAhead` (deploy-<env>): the images whose content tag the daemon lacks start building while those
 * reads run (DeployRun.buildAhead), so a changed source's build overlaps them instead of following them.
 * Their plans' own reads then run here, live, beside the others. Nothing that fails here is reported:
 * Docker down is for the tools step to say, and an image whose base is missing is left to its build step
 * (which pulls it, or says how to get it).
 */
export async function runStepsReadingAhead(steps: Step<DeployRun>[], run: DeployRun, log: (line: string) => void, readsFile: string, opts: { buildAhead?: boolean } = {}): Promise<StepsResult> {
  const file = join(run.workspaceRoot, 'dist', 'deploy', readsFile);
  try {
    const t0 = Date.now();
    if (!run.dryRun) {
      const reading = run.readAhead.start(file, run.spawn); // every read is started before this returns
      if (opts.buildAhead) {
        try {
          run.buildAhead(log, 'checks');
        } catch {
          // The build step plans again and says what is wrong.
        }
      }
      await reading;
    }
    run.readAheadSeconds = (Date.now() - t0) / 1000;
    const result = await runSteps(steps.map((s) => readingAhead(s, run)), run, log);
    if (result.success && !run.dryRun) run.readAhead.save(file);
    return result;
  } finally {
    // Answers nobody asked for are not kept for later passes on this run (the dev loop's): they are old by then.
    run.readAhead.drop();
  }
}

/** A step whose check's reads are recorded for the next run, and whose run drops the answers read ahead (src/deploy/read-ahead.ts). */
function readingAhead(step: Step<DeployRun>, run: DeployRun): Step<DeployRun> {
  return {
    name: step.name,
    async needed(r) {
      run.readAhead.startRecording();
      try {
        return await step.needed(r);
      } finally {
        run.readAhead.stopRecording();
      }
    },
    run(r) {
      run.readAhead.drop();
      return step.run(r);
    },
  };
}

export interface DeployResult {
  success: boolean;
  environment: string;
  seconds: number;
  steps: StepTiming[];
  /** The app's URL (when it succeeded). */
  url?: string;
  /** The failure as printed (step, cause, fix). */
  error?: string;
  /** The run, for a caller that goes on with it (the dev loop); undefined when the options were refused. */
  run?: DeployRun;
}

/** Our own errors (the PlatformError family: step, cause, fix) print as text; anything else is a bug and keeps its stack. */
export function describeFailure(e: unknown): string {
  return `deploy: ${e instanceof PlatformError ? e.describe() : ((e as Error).stack ?? e)}`;
}

/**
 * Deploys an environment: builds its DeployRun, runs the chain, prints the outcome and (unless a dry
 * run) writes the timings to dist/deploy/<env>.json, read by the deploy benchmark. Never throws.
 */
export async function deployEnvironment(options: DeployOptions, workspace: Workspace, log: (line: string) => void = console.log): Promise<DeployResult> {
  const started = Date.now();
  let run: DeployRun;
  try {
    // --offline and --keep are resolved once, before the run (the stand-ins set what it reads).
    run = new DeployRun(await resolveDeployOptions(options, workspace.root), workspace);
    run.optionsSeconds = (Date.now() - started) / 1000;
  } catch (e) {
    const refused = describeFailure(e);
    console.error(refused);
    return { success: false, environment: options.environment, seconds: 0, steps: [], error: refused };
  }
  log(`Deploying ${run.config.chart.name} to environment ${run.name}: ${run.cluster.type} ${run.cluster.name}, context ${run.kubeContext}, namespace ${run.namespace}${run.dryRun ? ' (dry run)' : ''}`);
  let success = false;
  let steps: StepTiming[] = [];
  let error: string | undefined;
  try {
    ({ success, steps } = await runStepsReadingAhead(deploySteps(run), run, log, `${run.name}.reads.json`, { buildAhead: true }));
  } catch (e) {
    error = describeFailure(e);
    console.error(error);
    steps = (e as { steps?: StepTiming[] }).steps ?? [];
  } finally {
    run.stopBuildsAhead(); // a build started ahead whose own step never came (the run failed first)
  }
  const seconds = (Date.now() - started) / 1000;
  if (!run.dryRun) {
    // Written on failure too, so nobody reads an earlier run's success.
    const dir = join(run.workspaceRoot, 'dist', 'deploy');
    mkdirSync(dir, { recursive: true });
    // optionsSeconds (the options and --offline's stand-ins) and readAheadSeconds (the wait for the checks'
    // reads): before the first step; the benchmark shows them apart from Nx's start-up.
    writeFileSync(join(dir, `${run.name}.json`), `${JSON.stringify({ environment: run.name, success, seconds, optionsSeconds: run.optionsSeconds, readAheadSeconds: run.readAheadSeconds, ...(error ? { error } : {}), steps }, null, 2)}\n`);
  }
  if (success && !run.dryRun) housekeeping(run, log); // keep-last-N of our images (src/prune)
  if (success) log(run.dryRun ? 'Dry run: nothing was changed.' : `\nReady in ${seconds.toFixed(1)}s: ${appUrl(run)}`);
  return { success, environment: run.name, seconds, steps, run, ...(error ? { error } : {}), ...(success ? { url: appUrl(run) } : {}) };
}
