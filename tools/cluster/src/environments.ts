/**
 * Which cluster an environment deploys to. The root environments.json is the only list of environments;
 * this reads it on every call and never keeps a copy.
 *
 *   "cluster": "kind"            kind cluster "todo", kube context "kind-todo"
 *   "cluster": "minikube"        minikube profile "todo", kube context "todo"
 *   "cluster": "context:<name>"  an existing cluster reached through kube context <name> (we never create or delete it)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterError } from './errors';
import { WORKSPACE_ROOT } from './versions';

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

interface EnvironmentsFile {
  environments: Record<string, { cluster?: string }>;
}

export function readEnvironments(file = join(WORKSPACE_ROOT, 'environments.json')): EnvironmentsFile {
  return JSON.parse(readFileSync(file, 'utf8')) as EnvironmentsFile;
}

/** The cluster of environment `env` (default "local"); `override` is a --cluster flag value. */
export function clusterFor(
  env = 'local',
  opts: { override?: string; name?: string; file?: string } = {},
): ClusterTarget {
  if (opts.override) return parseClusterField(opts.override, opts.name);
  const envs = readEnvironments(opts.file).environments;
  const e = envs[env];
  if (!e) {
    throw new ClusterError(
      'environments',
      `no environment "${env}" in environments.json (known: ${Object.keys(envs).join(', ')})`,
      'pass --env=<one of them>, or add it with the env generator (nx g @todo/generators:env)',
    );
  }
  return parseClusterField(e.cluster ?? 'kind', opts.name);
}
