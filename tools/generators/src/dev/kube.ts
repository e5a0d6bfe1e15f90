/**
 * kubectl as the dev loop runs it: asynchronously, through Children, scoped to one environment. The
 * scope comes from the environment's target (@todo/cluster targetFor: kubeconfig and context).
 */
import type { EnvTarget } from '@todo/cluster';
import { PodSummary, releaseSelector, summarisePods } from '../release/pods';
import type { ChildOptions, Children } from './children';
import { ClusterError } from '@todo/cluster';

export interface KubeScope {
  kubectl: string;
  /** --kubeconfig (when the kind context lives elsewhere) and --context: the target's kubectlContext. */
  scopeArgs: string[];
  namespace: string;
  release: string;
}

export const kubeScope = (kubectl: string, target: EnvTarget, release: string): KubeScope => ({ kubectl, scopeArgs: target.kubectlContext, namespace: target.namespace, release });

export const kubeArgs = (k: KubeScope, args: string[]) => [...k.scopeArgs, '-n', k.namespace, ...args];

/** A short kubectl call (20 s request timeout). */
export function kube(children: Children, k: KubeScope, args: string[], input?: Buffer | string) {
  return children.run(k.kubectl, kubeArgs(k, ['--request-timeout=20s', ...args]), { input });
}

/** A long-running kubectl (logs -f, port-forward): lines to `onLine`, nothing kept. */
export function follow(children: Children, k: KubeScope, args: string[], options: Pick<ChildOptions, 'onLine' | 'signal'>) {
  return children.run(k.kubectl, kubeArgs(k, args), { ...options, discard: true });
}

/** The release's pods (optionally one component's); throws with kubectl's message when it cannot list them. */
export async function listPods(children: Children, k: KubeScope, component?: string): Promise<PodSummary[]> {
  const selector = releaseSelector(k.release) + (component ? `,app.kubernetes.io/component=${component}` : '');
  const r = await kube(children, k, ['get', 'pods', '-l', selector, '-o', 'json']);
  if (r.status !== 0) throw new ClusterError('pods', `kubectl get pods -l ${selector} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`, 'check the cluster is up and reachable: nx run cluster:cluster-status');
  return summarisePods(r.stdout);
}
