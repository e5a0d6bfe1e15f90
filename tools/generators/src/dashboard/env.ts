/**
 * ui-<env> (`npx nx run todo:ui-staging`): the dashboard alone, for a deployed environment, until
 * Ctrl-C. The same page as dev-<env>'s, fed by a pod watcher and log followers of its own; its
 * actions are "restart a service's pods" and "run the deploy" (deploy-<env>, in this process, its
 * steps shown as they run). Rebuilding one service alone is the dev loop's: a deploy rebuilds what changed.
 */
import type { ExecutorContext } from '@nx/devkit';
import { DeployRun, appUrl, deployEnvironment, type DeployOptions } from '../deploy';
import { dockerBin } from '../images/docker';
import { Children } from '../dev/children';
import { LogFollowers } from '../dev/log-followers';
import { PodWatcher } from '../dev/pod-watcher';
import { restartService } from '../dev/restart';
import { followerScope } from '../dev/follower-sessions';
import { interrupted } from '../dev/signals';
import { DEFAULT_UI_PORT, DashboardOptions, deployRecordPath, serviceUrls, startFeed } from './feed';
import { readDeployRecord } from '@todo/dashboard';

export async function serveDashboard(options: DashboardOptions & Pick<DeployOptions, 'environment' | 'release' | 'context'>, nx: ExecutorContext): Promise<boolean> {
  const stop = interrupted();
  const children = new Children();
  let resolved;
  let url: string | undefined;
  try {
    resolved = followerScope(options, nx);
    url = appUrl(new DeployRun({ environment: options.environment, release: options.release, context: options.context }, nx));
  } catch (e) {
    console.error(`ui: ${(e as Error).message}`);
    return false;
  }
  const { scope, kube } = resolved;
  const services = Object.keys(scope.config.services);
  const pods = new PodWatcher(children, kube);
  const record = deployRecordPath(scope.workspaceRoot, scope.name);
  let busy: Promise<unknown> = Promise.resolve();
  let feed: Awaited<ReturnType<typeof startFeed>>;
  try {
    feed = await startFeed({
      info: { mode: 'ui', environment: scope.name, namespace: scope.namespace, cluster: `${scope.target.cluster.type} ${scope.target.cluster.name}`, appUrl: url, actions: ['restart', 'deploy'] },
      services,
      port: options.uiPort ?? DEFAULT_UI_PORT,
      children,
      kube,
      pods,
      docker: dockerBin(),
      deployRecord: record,
      act: (request) => {
        const { state } = feed;
        const action = state.actionQueued(request.kind, request.service);
        // One at a time, in the order asked, as the loop runs its passes.
        busy = busy.then(async () => {
          const title = request.kind === 'deploy' ? `deploy-${scope.name} (from the dashboard)` : `restart ${request.service} (from the dashboard)`;
          const pass = state.passStarted(title, request.kind === 'deploy' ? 'deploy' : 'action');
          state.actionUpdate(action.id, { status: 'running', passId: pass });
          let ok: boolean;
          if (request.kind === 'deploy') {
            const result = await deployEnvironment({ environment: scope.name, release: options.release, context: options.context }, nx, (line) => {
              console.log(line);
              state.passLine(pass, line);
            });
            state.passSteps(pass, result.steps);
            if (result.error) state.passFailed(pass, `deploy-${scope.name} failed`, result.error);
            const written = readDeployRecord(record);
            if (written) state.setLastDeploy(written);
            ok = result.success;
          } else {
            const failure = await restartService(children, kube, request.service!, (line) => state.passLine(pass, line.trim()));
            if (failure) state.passFailed(pass, `restart ${request.service} failed`, failure);
            ok = !failure;
          }
          state.passEnded(pass);
          state.actionUpdate(action.id, { status: ok ? 'ok' : 'failed' });
        });
        return action.id;
      },
    });
  } catch (e) {
    console.error(`ui: ${(e as Error).message}`);
    return false;
  }
  if (url) for (const [service, u] of serviceUrls(scope.config.services, url)) feed.state.setService(service, { url: u });
  const logs = new LogFollowers(children, kube, services, feed.logSink(), { colour: false, initialTail: 50, reportCrashes: true });
  pods.onPods((p) => logs.update(p));
  await pods.start();
  console.log(`Dashboard of ${scope.name} (${kube.namespace}): ${feed.server.url}  (Ctrl-C to stop)`);
  await stop;
  pods.stop();
  await feed.close();
  await children.stopAll(500);
  return true;
}
