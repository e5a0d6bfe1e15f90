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

/**
 * Resolves on the first Ctrl-C (SIGINT), SIGTERM or SIGHUP (the terminal closed). The handlers stay
 * installed for the rest of the process: Nx answers Ctrl-C by sending SIGTERM to the executor's process
 * tree (twice) while it waits for it to exit, and a signal without a handler would kill the process in
 * the middle of stopping its children. Later signals are therefore swallowed; Nx still ends the process
 * after NX_PROCESS_KILL_GRACE_PERIOD (5 s) if stopping ever hangs.
 */
export const interrupted = () =>
  new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve(signal));
  });
