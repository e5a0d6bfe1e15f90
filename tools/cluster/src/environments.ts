/**
 * Which cluster an environment deploys to. The root environments.json is the only list of environments;
 * it is read (typed) by target.ts on every call and never copied.
 *
 *   "cluster": "kind"            kind cluster "todo", kube context "kind-todo"
 *   "cluster": "minikube"        minikube profile "todo", kube context "todo"
 *   "cluster": "context:<name>"  an existing cluster reached through kube context <name> (we never create or delete it)
 */
import { ClusterError } from './errors';
import { EnvironmentsFile, readEnvironmentsFile, targetFor } from './target';

export type ClusterTarget =
  | { type: 'kind'; name: string; context: string }
  | { type: 'minikube'; name: string; context: string }
  | { type: 'context'; name: string; context: string };

/** The default cluster/profile name: the chart's name ("todo"), so contexts are kind-todo / todo. */
export const DEFAULT_CLUSTER_NAME = 'todo';

export function parseClusterField(field: string, name = DEFAULT_CLUSTER_NAME): ClusterTarget {
  if (field === 'kind') return { type: 'kind', name, context: `kind-${name}` };
  if (field === 'minikube') return { type: 'minikube', name, context: name };
  const m = /^context:(.+)$/.exec(field);
  if (m) return { type: 'context', name: m[1], context: m[1] };
  throw new ClusterError(
    'environments',
    `unknown cluster "${field}"`,
    'set the environment\'s "cluster" in environments.json to "kind", "minikube" or "context:<kube context name>"',
  );
}

/** The root environments.json, typed (target.ts's readEnvironmentsFile; its only callers are tests). */
export function readEnvironments(file?: string): EnvironmentsFile {
  return readEnvironmentsFile(file);
}

/** The cluster of environment `env` (default "local"); `override` is a --cluster flag value. Only tests call it (the tools take targetFor). */
export function clusterFor(env = 'local', opts: { override?: string; name?: string; file?: string } = {}): ClusterTarget {
  return targetFor(env, { ...opts, name: opts.name }).cluster;
}
