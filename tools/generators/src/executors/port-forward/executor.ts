/** port-forward-<env>: each service and the database on fixed local ports, kept across rollouts, until Ctrl-C. */
import type { ExecutorContext } from '@nx/devkit';
import { Children } from '../../dev/children';
import { PodWatcher } from '../../dev/pods';
import { PortForwards, forwardTargets } from '../../dev/port-forward';
import { followerScope, interrupted } from '../../dev/scope';
import type { PortForwardExecutorSchema } from './schema';

export default async function portForwardExecutor(options: PortForwardExecutorSchema, nx: ExecutorContext) {
  const stop = interrupted();
  const children = new Children();
  let forwards: PortForwards;
  const pods = (k: ConstructorParameters<typeof PodWatcher>[1]) => new PodWatcher(children, k, 1000);
  let watcher: PodWatcher;
  try {
    const { scope, kube } = await followerScope(options, nx);
    forwards = new PortForwards(children, kube, forwardTargets(scope.config.services, scope.env.database === 'postgres', options.portOffset ?? 10000));
    watcher = pods(kube);
    watcher.onPods((p) => forwards.update(p));
    await watcher.poll();
    await forwards.listen();
  } catch (e) {
    console.error(`port-forward: ${(e as Error).message}`);
    await children.stopAll(500);
    return { success: false };
  }
  await watcher.start();
  for (const line of forwards.describe()) console.log(`port-forward ${line}`);
  console.log('Forwarding (kept across rollouts); Ctrl-C to stop');
  await stop;
  watcher.stop();
  await forwards.close();
  await children.stopAll(500);
  return { success: true };
}
