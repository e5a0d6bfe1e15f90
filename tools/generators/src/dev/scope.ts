/** The kubectl scope of an environment for the followers that run on their own (logs-<env>, port-forward-<env>). */
import type { ExecutorContext } from '@nx/devkit';
import { resolveTool } from '@todo/cluster';
import { EnvScope, envScope } from '../platform/scope';
import { KubeScope, kubeScope } from './kube';

export async function followerScope(options: { environment: string; release?: string; context?: string }, nx: Pick<ExecutorContext, 'root'>): Promise<{ scope: EnvScope; kube: KubeScope }> {
  const scope = envScope(options, nx);
  // @todo/cluster's one resolver: KUBECTL, KUBECTL_BIN, PATH, .tools/bin (never a download here).
  const kubectl = await resolveTool('kubectl', { autoInstall: false });
  return { scope, kube: kubeScope(kubectl, scope.target, scope.release) };
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM. */
export const interrupted = () =>
  new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
