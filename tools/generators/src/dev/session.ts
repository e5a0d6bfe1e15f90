/**
 * One dev-<env> session (`npx nx run todo:dev-local`): brings the environment up to date through the
 * deploy steps with the dev configuration (nothing built, loaded or upgraded when nothing changed),
 * then watches the workspace and does the least work per change (loop.ts), with the pods' logs in the
 * same terminal. Ctrl-C stops the watcher and every child process and leaves the release running.
 */
import type { ExecutorContext } from '@nx/devkit';
import { createProjectFileMapUsingProjectGraph, createProjectGraphAsync } from '@nx/devkit';
import { isAbsolute, relative } from 'node:path';
import { DeployRun, DevDeployOptions, appUrl, describeError, devDeployRun, resolveDeployOptions, upToDate } from './bridge';
import { Children } from './children';
import { Classifier } from './classify';
import { kubeScope } from './kube';
import { DevLoop } from './loop';
import { LogFollowers } from './log-followers';
import { PodWatcher } from './pod-watcher';
import { PortForwards, forwardTargets } from './port-forward';
import { interrupted } from './signals';
import { syncRule } from './sync-rules';
import { StartUpWatcher } from './watch';
import { DashboardOptions } from '../dashboard/feed';
import { DevDashboard, startDevDashboard } from '../dashboard/dev';

export interface DevSessionOptions extends DevDeployOptions, DashboardOptions {
  logs?: boolean;
  portForward?: boolean;
  portOffset?: number;
  debounceMs?: number;
}

const stamp = () => new Date().toISOString().slice(11, 19);
export const say = (line: string) => console.log(`[dev ${stamp()}] ${line}`);

/** The file -> project map of the graph (files created later are placed by project root in the Classifier). */
async function classifierFor(run: DeployRun, nx: ExecutorContext, extraValues: string[]): Promise<Classifier> {
  const graph = nx.projectGraph ?? (await createProjectGraphAsync({ exitOnError: false }));
  const fileOwners = new Map<string, string>();
  for (const [project, files] of Object.entries(await createProjectFileMapUsingProjectGraph(graph))) for (const f of files) fileOwners.set(f.file, project);
  return new Classifier({
    workspaceRoot: run.workspaceRoot,
    graph,
    fileOwners,
    images: run.images.map((i) => ({ service: i.service, project: i.project, dockerfile: i.build.dockerfile, context: i.build.context ?? '.', sync: syncRule(i.service, run.config.services[i.service]) })),
    chartDir: run.config.chart.directory,
    environment: run.name,
    extraValues: extraValues.map((f) => (isAbsolute(f) ? relative(run.workspaceRoot, f) : f)),
  });
}

const leavesRunning = (run: DeployRun) =>
  `Ctrl-C leaves the release ${run.release} running in ${run.namespace} in dev mode. Back to image-built pods: ` +
  `npx nx run ${run.config.chart.name}:deploy-${run.name}; remove it: npx nx run ${run.config.chart.name}:uninstall-${run.name}`;

export async function devSession(options: DevSessionOptions, nx: ExecutorContext): Promise<boolean> {
  const started = Date.now();
  let run: DeployRun;
  try {
    const { environment, release, context, values, set, timeout, offline, localRegistry } = await resolveDeployOptions(options, nx.root);
    run = devDeployRun({ environment, release, context, values, set, timeout, offline, localRegistry }, nx);
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    return false;
  }
  console.log(`Dev loop for ${run.config.chart.name} in environment ${run.name}: ${run.cluster.type} ${run.cluster.name}, context ${run.kubeContext}, namespace ${run.namespace} (dev images, chart dev mode)`);
  const stop = interrupted();
  // Watching starts before the first step reads a source: a save during start-up becomes the first pass.
  const watcher = await StartUpWatcher.start(run.workspaceRoot, (e) => say(`✗ watcher: ${e.message}`));
  // Ctrl-C during the first deploy ends the session at once (Nx stops the step's own child process).
  const early = stop.then((signal) => ({ signal }));
  let upToDateResult!: Awaited<ReturnType<typeof upToDate>>;
  try {
    const first = await Promise.race([upToDate(run, console.log), early]);
    if ('signal' in first) {
      console.error(`dev: stopped (${first.signal}) before the environment was up to date; nothing is watched`);
      await watcher.unsubscribe();
      return false;
    }
    if (!first.success) {
      await watcher.unsubscribe();
      return false;
    }
    upToDateResult = first;
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    await watcher.unsubscribe();
    return false;
  }

  const children = new Children();
  const k = kubeScope(run.tools.kubectl, run.target, run.release);
  const services = Object.keys(run.config.services);
  const rules = new Map(services.map((s) => [s, syncRule(s, run.config.services[s])]));
  const classifier = await classifierFor(run, nx, options.values ?? []);
  const pods = new PodWatcher(children, k);
  // The dashboard (tools/dashboard): the loop reports to it through `events` and its printed lines.
  let ui: DevDashboard | undefined;
  if (options.ui !== false) {
    try {
      ui = await startDevDashboard({ run, children, kube: k, pods, uiPort: options.uiPort, upToDate: upToDateResult, seconds: (Date.now() - started) / 1000 });
    } catch (e) {
      say(`✗ dashboard: ${(e as Error).message}. The loop runs without it.`);
    }
  }
  const stepLog = (l: string) => console.log(`    ${l}`);
  const loop = new DevLoop({ run, classifier, children, kube: k, rules, say: ui?.say(say) ?? say, stepLog: ui?.stepLog(stepLog) ?? stepLog, debounceMs: options.debounceMs ?? 200, events: ui?.events });
  ui?.drive(loop);

  const print = options.logs === false ? undefined : (l: string) => console.log(l);
  // Followed for the dashboard even when the terminal shows no logs.
  const logs = !print && !ui ? undefined : new LogFollowers(children, k, services, ui?.logSink(print) ?? print!, { colour: !!process.stdout.isTTY || !!process.env.FORCE_COLOR, initialTail: 5 });
  let forwards: PortForwards | undefined;
  try {
    if (options.portForward) {
      forwards = new PortForwards(children, k, forwardTargets(run.config.services, run.env.database === 'postgres', options.portOffset ?? 10000));
      await forwards.listen();
      for (const line of forwards.describe()) say(`port-forward ${line}`);
      ui?.forwards(forwards.describe());
    }
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    await watcher.unsubscribe();
    await ui?.close();
    await children.stopAll();
    return false;
  }
  pods.onPods((p) => {
    logs?.update(p);
    forwards?.update(p);
  });
  await pods.start();
  const savedDuringStartUp = watcher.handTo((events) => loop.changed(events));
  say(`watching ${run.workspaceRoot} (ready in ${((Date.now() - started) / 1000).toFixed(1)}s): ${appUrl(run)}  (Ctrl-C to stop)`);
  if (savedDuringStartUp.length) say(`saved during start-up: ${savedDuringStartUp.slice(0, 3).join(', ')}${savedDuringStartUp.length > 3 ? ` and ${savedDuringStartUp.length - 3} more` : ''}; the first pass takes ${savedDuringStartUp.length === 1 ? 'it' : 'them'}`);
  // Said now as well as on stopping: Nx 23 drops what a task prints after Ctrl-C (nrwl/nx#23585).
  say(leavesRunning(run));
  if (ui) say(`dashboard: ${ui.url}  (--ui=false turns it off, --uiPort moves it)`);

  const signal = await stop;
  const t0 = Date.now();
  void loop.stop();
  await watcher.unsubscribe();
  pods.stop();
  await forwards?.close();
  await ui?.close();
  const left = await children.stopAll(300);
  say(`stopped (${signal}) in ${((Date.now() - t0) / 1000).toFixed(1)}s: watcher, log followers and port-forwards ended after ${loop.passes} pass(es)${left ? ` (${left} child process(es) still exiting)` : ''}.`);
  console.log(leavesRunning(run));
  return true;
}
