/** kubectl as the dev loop runs it: asynchronously, through Children, scoped to one environment. */
import type { Children } from './children';
import { PodSummary, releaseSelector, summarisePods } from './marker';

export interface KubeScope {
  kubectl: string;
  /** --kubeconfig (when the kind context lives elsewhere) and --context. */
  scopeArgs: string[];
  namespace: string;
  release: string;
}

export const kubeArgs = (k: KubeScope, args: string[]) => [...k.scopeArgs, '-n', k.namespace, ...args];

export function kube(children: Children, k: KubeScope, args: string[], input?: Buffer | string) {
  return children.run(k.kubectl, kubeArgs(k, ['--request-timeout=20s', ...args]), input);
}

/** The release's pods (optionally one component's); throws with kubectl's message when it cannot list them. */
export async function listPods(children: Children, k: KubeScope, component?: string): Promise<PodSummary[]> {
  const selector = releaseSelector(k.release) + (component ? `,app.kubernetes.io/component=${component}` : '');
  const r = await kube(children, k, ['get', 'pods', '-l', selector, '-o', 'json']);
  if (r.status !== 0) throw new Error(`kubectl get pods -l ${selector} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`);
  return summarisePods(r.stdout);
}
