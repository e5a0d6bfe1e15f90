/** The kubectl scope of an environment for the followers that run on their own (logs-<env>, port-forward-<env>). */
import type { ExecutorContext } from '@nx/devkit';
import { resolveTool } from '../../../cluster/src/tools';
import { envScope, type EnvScope } from '../executors/lib/context';
import type { KubeScope } from './kube';

export async function followerScope(options: { environment: string; release?: string; context?: string }, nx: ExecutorContext): Promise<{ scope: EnvScope; kube: KubeScope }> {
  const scope = envScope(options, nx);
  const kubectl = process.env.KUBECTL || (await resolveTool('kubectl', { autoInstall: false }));
  return {
    scope,
    kube: { kubectl, scopeArgs: [...(scope.kubeconfig ? ['--kubeconfig', scope.kubeconfig] : []), '--context', scope.kubeContext], namespace: scope.namespace, release: scope.release },
  };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM. */
export const interrupted = () =>
  new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
