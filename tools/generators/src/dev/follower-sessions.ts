/**
 * The followers on their own, without the loop: logs-<env> (the services' pod logs, followed across
 * rollouts) and port-forward-<env> (each service and the database on fixed local ports, kept across
 * rollouts). Both run until Ctrl-C and stop every child process they started.
 */
import type { ExecutorContext } from '@nx/devkit';
import { EnvContext, envContext, requireKubectl } from '../platform/scope';
import { Children } from './children';
import { KubeScope, kubeScope } from './kube';
import { LogFollowers } from './log-followers';
import { PodWatcher } from './pod-watcher';
import { PortForwards, forwardTargets } from './port-forward';
import { interrupted } from './signals';

interface FollowerOptions {
  environment: string;
  release?: string;
  context?: string;
}

/** The environment's context and its kubectl scope, for the followers that run on their own (the context's kubectl, never downloaded). */
export function followerScope(options: { environment: string; release?: string; context?: string }, nx: Pick<ExecutorContext, 'root'>): { scope: EnvContext; kube: KubeScope } {
  const scope = envContext(options, nx);
  return { scope, kube: kubeScope(requireKubectl(scope, 'kubectl'), scope.target, scope.release) };
}

export async function followLogs(options: FollowerOptions & { service?: string[] | string; since?: string }, nx: Pick<ExecutorContext, 'root'>): Promise<boolean> {
  const stop = interrupted();
  let resolved;
  try {
    resolved = followerScope(options, nx);
  } catch (e) {
    console.error(`logs: ${(e as Error).message}`);
    return false;
  }
  const all = Object.keys(resolved.scope.config.services);
  const wanted = [options.service ?? []].flat().flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !all.includes(s));
  if (unknown.length) {
    console.error(`logs: unknown --service ${unknown.join(', ')}: the services are ${all.join(', ')} (environments.json)`);
    return false;
  }
  const services = wanted.length ? wanted : all;
  const children = new Children();
  const pods = new PodWatcher(children, resolved.kube);
  const followers = new LogFollowers(children, resolved.kube, services, (l) => console.log(l), { colour: !!process.stdout.isTTY || !!process.env.FORCE_COLOR, since: options.since, initialTail: 10, reportCrashes: true });
  pods.onPods((p) => followers.update(p));
  await pods.poll();
  if (pods.pods.length === 0) console.log(`logs: no pods of release ${resolved.kube.release} in ${resolved.kube.namespace} yet; waiting for them (Ctrl-C to stop)`);
  await pods.start();
  console.log(`Following ${services.join(', ')} in ${resolved.kube.namespace} (Ctrl-C to stop)`);
  await stop;
  pods.stop();
  await children.stopAll(700);
  return true;
}

export async function forwardPorts(options: FollowerOptions & { portOffset?: number }, nx: Pick<ExecutorContext, 'root'>): Promise<boolean> {
  const stop = interrupted();
  const children = new Children();
  let forwards: PortForwards;
  let watcher: PodWatcher;
  try {
    const { scope, kube } = followerScope(options, nx);
    forwards = new PortForwards(children, kube, forwardTargets(scope.config.services, scope.env.database === 'postgres', options.portOffset ?? 10000));
    watcher = new PodWatcher(children, kube, 1000);
    watcher.onPods((p) => forwards.update(p));
    await watcher.poll();
    await forwards.listen();
  } catch (e) {
    console.error(`port-forward: ${(e as Error).message}`);
    await children.stopAll(500);
    return false;
  }
  await watcher.start();
  for (const line of forwards.describe()) console.log(`port-forward ${line}`);
  console.log('Forwarding (kept across rollouts); Ctrl-C to stop');
  await stop;
  watcher.stop();
  await forwards.close();
  await children.stopAll(500);
  return true;
}
