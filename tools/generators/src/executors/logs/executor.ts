/** logs-<env>: the services' pod logs, followed across rollouts, until Ctrl-C. */
import type { ExecutorContext } from '@nx/devkit';
import { Children } from '../../dev/children';
import { LogFollowers, PodWatcher } from '../../dev/pods';
import { followerScope, interrupted } from '../../dev/scope';
import type { LogsExecutorSchema } from './schema';

export default async function logsExecutor(options: LogsExecutorSchema, nx: ExecutorContext) {
  const stop = interrupted();
  let resolved;
  try {
    resolved = await followerScope(options, nx);
  } catch (e) {
    console.error(`logs: ${(e as Error).message}`);
    return { success: false };
  }
  const all = Object.keys(resolved.scope.config.services);
  const wanted = [options.service ?? []].flat().flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !all.includes(s));
  if (unknown.length) {
    console.error(`logs: unknown --service ${unknown.join(', ')}: the services are ${all.join(', ')} (environments.json)`);
    return { success: false };
  }
  const services = wanted.length ? wanted : all;
  const children = new Children();
  const pods = new PodWatcher(children, resolved.kube);
  const followers = new LogFollowers(children, resolved.kube, services, (l) => console.log(l), { colour: !!process.stdout.isTTY || !!process.env.FORCE_COLOR, since: options.since, initialTail: 10, reportCrashes: true });
  pods.onPods((p) => followers.update(p));
  try {
    await pods.poll();
    if (pods.pods.length === 0) console.log(`logs: no pods of release ${resolved.kube.release} in ${resolved.kube.namespace} yet; waiting for them (Ctrl-C to stop)`);
  } catch (e) {
    console.error(`logs: ${(e as Error).message}`);
    return { success: false };
  }
  await pods.start();
  console.log(`Following ${services.join(', ')} in ${resolved.kube.namespace} (Ctrl-C to stop)`);
  await stop;
  pods.stop();
  await children.stopAll(700);
  return { success: true };
}
