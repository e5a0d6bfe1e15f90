/**
 * dev-<env> (`npx nx run todo:dev-local`): the inner loop. Brings the environment up to date through
 * the deploy steps with the dev configuration (nothing built, loaded or upgraded when nothing
 * changed), then watches the workspace and does the least work per change (src/dev/loop.ts), with the
 * pods' logs in the same terminal. Ctrl-C stops the watcher and every child process and leaves the
 * release running.
 */
import type { ExecutorContext } from '@nx/devkit';
import { createProjectFileMapUsingProjectGraph, createProjectGraphAsync } from '@nx/devkit';
import { isAbsolute, relative } from 'node:path';
import { ClusterError, DeployContext, appUrl, devDeployContext, upToDate } from '../../dev/bridge';
import { Children } from '../../dev/children';
import { Classifier } from '../../dev/classify';
import type { KubeScope } from '../../dev/kube';
import { DevLoop } from '../../dev/loop';
import { LogFollowers, PodWatcher } from '../../dev/pods';
import { PortForwards, forwardTargets } from '../../dev/port-forward';
import { interrupted } from '../../dev/scope';
import { syncRule } from '../../dev/sync-rules';
import { watchWorkspace } from '../../dev/watch';
import type { DevExecutorSchema } from './schema';

const stamp = () => new Date().toISOString().slice(11, 19);
export const say = (line: string) => console.log(`[dev ${stamp()}] ${line}`);

export function describeError(e: unknown): string {
  if (e instanceof ClusterError) return e.format().replace(/^cluster: /, '');
  if (e instanceof Error && e.constructor === Error) return e.message;
  return (e as Error).stack ?? String(e);
}

export function kubeScopeOf(ctx: DeployContext): KubeScope {
  return { kubectl: ctx.tools.kubectl, scopeArgs: [...(ctx.kubeconfig ? ['--kubeconfig', ctx.kubeconfig] : []), '--context', ctx.kubeContext], namespace: ctx.namespace, release: ctx.release };
}

export default async function devExecutor(options: DevExecutorSchema, nx: ExecutorContext) {
  const started = Date.now();
  let ctx: DeployContext;
  try {
    ctx = devDeployContext(options, nx);
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    return { success: false };
  }
  console.log(`Dev loop for ${ctx.config.chart.name} in environment ${ctx.name}: ${ctx.cluster.type} ${ctx.cluster.name}, context ${ctx.kubeContext}, namespace ${ctx.namespace} (dev images, chart dev mode)`);
  const stop = interrupted();
  try {
    const result = await upToDate(ctx, console.log);
    if (!result.success) return { success: false };
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    return { success: false };
  }

  const children = new Children();
  const k = kubeScopeOf(ctx);
  const services = Object.keys(ctx.config.services);
  const graph = nx.projectGraph ?? (await createProjectGraphAsync({ exitOnError: false }));
  const fileOwners = new Map<string, string>();
  for (const [project, files] of Object.entries(await createProjectFileMapUsingProjectGraph(graph))) for (const f of files) fileOwners.set(f.file, project);
  const rules = new Map(services.map((s) => [s, syncRule(s, ctx.config.services[s])]));
  const classifier = new Classifier({
    workspaceRoot: ctx.workspaceRoot,
    graph,
    fileOwners,
    images: ctx.images.map((i) => ({ service: i.service, project: i.project, dockerfile: i.build.dockerfile, context: i.build.context ?? '.', sync: rules.get(i.service)! })),
    chartDir: ctx.config.chart.directory,
    environment: ctx.name,
    extraValues: (options.values ?? []).map((f) => (isAbsolute(f) ? relative(ctx.workspaceRoot, f) : f)),
  });
  const loop = new DevLoop({ ctx, classifier, children, kube: k, rules, say, stepLog: (l) => console.log(`    ${l}`), debounceMs: options.debounceMs ?? 200 });

  const pods = new PodWatcher(children, k);
  const logs = options.logs === false ? undefined : new LogFollowers(children, k, services, (l) => console.log(l), { colour: !!process.stdout.isTTY || !!process.env.FORCE_COLOR, initialTail: 5 });
  let forwards: PortForwards | undefined;
  try {
    if (options.portForward) {
      const withDb = ctx.env.database === 'postgres';
      forwards = new PortForwards(children, k, forwardTargets(ctx.config.services, withDb, options.portOffset ?? 10000));
      await forwards.listen();
      for (const line of forwards.describe()) say(`port-forward ${line}`);
    }
  } catch (e) {
    console.error(`dev: ${describeError(e)}`);
    await children.stopAll();
    return { success: false };
  }
  pods.onPods((p) => {
    logs?.update(p);
    forwards?.update(p);
  });
  await pods.start();
  const subscription = await watchWorkspace(ctx.workspaceRoot, (events) => loop.changed(events), (e) => say(`✗ watcher: ${e.message}`));
  say(`watching ${ctx.workspaceRoot} (ready in ${((Date.now() - started) / 1000).toFixed(1)}s): ${appUrl(ctx)}  (Ctrl-C to stop)`);

  const signal = await stop;
  const t0 = Date.now();
  void loop.stop();
  await subscription.unsubscribe();
  pods.stop();
  await forwards?.close();
  await children.stopAll(700);
  say(`stopped (${signal}) in ${((Date.now() - t0) / 1000).toFixed(1)}s: watcher, log followers and port-forwards ended after ${loop.passes} pass(es).`);
  console.log(
    `The release ${ctx.release} keeps running in ${ctx.namespace} in dev mode (${appUrl(ctx)}). ` +
      `Back to image-built pods: npx nx run ${ctx.config.chart.name}:deploy-${ctx.name}; remove it: npx nx run ${ctx.config.chart.name}:uninstall-${ctx.name}`,
  );
  return { success: true };
}
