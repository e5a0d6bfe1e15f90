/**
 * The cluster field of an environment (environments.json's "cluster", the env generator's --cluster,
 * a deploy's --cluster override, a template's environment input): one rule, parsed here and nowhere
 * else. The JSON schema's pattern (tools/generators/environments.schema.json) is CLUSTER_FIELD_PATTERN's
 * source, kept equal by tools/generators' schema test.
 *
 *   "cluster": "kind"            kind cluster "todo", kube context "kind-todo"
 *   "cluster": "minikube"        minikube profile "todo", kube context "todo"
 *   "cluster": "context:<name>"  an existing cluster reached through kube context <name> (we never create or delete it)
 *
 * Anything else is refused rather than guessed (a typo of "kind" must not become a context name).
 */
import { ClusterError } from './errors';

export type ClusterTarget =
  | { type: 'kind'; name: string; context: string }
  | { type: 'minikube'; name: string; context: string }
  | { type: 'context'; name: string; context: string };

/** The default cluster/profile name: the chart's name ("todo"), so contexts are kind-todo / todo. */
export const DEFAULT_CLUSTER_NAME = 'todo';

/** kube context names as kubeconfigs hold them (kind-x, gke_p_z_c, arn:aws:eks:...:cluster/x, user@cluster). */
const CONTEXT_NAME = '[A-Za-z0-9][A-Za-z0-9._@:/+-]{0,252}';
const CONTEXT_PREFIX = 'context:';

/** Every valid value of the cluster field (the schema's pattern is its source). */
export const CLUSTER_FIELD_PATTERN = new RegExp(`^(kind|minikube|${CONTEXT_PREFIX}${CONTEXT_NAME})$`);

/** What is wrong with a cluster field (the caller adds the fix for where it came from); undefined when it is valid. */
export function clusterFieldProblem(field: unknown): string | undefined {
  if (typeof field === 'string' && CLUSTER_FIELD_PATTERN.test(field)) return undefined;
  if (typeof field === 'string' && field.startsWith(CONTEXT_PREFIX))
    return `invalid kube context name "${field.slice(CONTEXT_PREFIX.length)}" in "${field}"`;
  return `unknown cluster "${String(field)}"`;
}

/** The cluster of a cluster field; `name` is the kind cluster / minikube profile name. */
export function parseClusterField(field: string, name = DEFAULT_CLUSTER_NAME): ClusterTarget {
  const problem = clusterFieldProblem(field);
  if (problem)
    throw new ClusterError(
      'environments',
      problem,
      'set the environment\'s "cluster" in environments.json to "kind", "minikube" or "context:<kube context name>" (the name exactly as `kubectl config get-contexts -o name` prints it)',
    );
  if (field === 'kind') return { type: 'kind', name, context: `kind-${name}` };
  if (field === 'minikube') return { type: 'minikube', name, context: name };
  const context = field.slice(CONTEXT_PREFIX.length);
  return { type: 'context', name: context, context };
}

/** The one wording of an environment that environments.json does not have (deploy, Day-2 targets, the cluster CLI, generators). */
export function unknownEnvironment(name: string, known: string[]): ClusterError {
  return new ClusterError(
    'environments',
    `no environment "${name}" in environments.json (known: ${known.join(', ') || 'none'})`,
    `use one of them, or add it: npx nx g env ${name}`,
  );
}
