/**
 * targetFor(environment): the one place an environment name becomes what every tool call needs: the
 * cluster (kind / minikube / an existing context) and its name, the kube context, the kubeconfig, and
 * the scope arguments of helm and kubectl. Callers derive it once and pass the target on.
 *
 *   cluster name   --name, else KIND_CLUSTER_NAME (kind only), else the chart's name ("todo")
 *   kube context   --context, else kind-<name> / <name> (minikube) / the context:<name> given
 *   kubeconfig     CLUSTER_KUBECONFIG for kind (where cluster-up wrote the context); else KUBECONFIG applies
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterTarget, DEFAULT_CLUSTER_NAME, parseClusterField, unknownEnvironment } from './environments';
import { ClusterError } from './errors';
import { WORKSPACE_ROOT } from './versions';

/** What targetFor reads from environments.json (the generators' PlatformConfig is a superset). */
export interface EnvironmentsFile {
  chart?: { name?: string };
  environments: Record<string, { cluster?: string; namespace?: string }>;
}

export interface EnvTarget {
  environment: string;
  /** type, name and kube context (always equal to `kubeContext`, also under --context) */
  cluster: ClusterTarget;
  kubeContext: string;
  kubeconfig?: string;
  /** the environment's namespace ("default" for a bare --cluster override) */
  namespace: string;
  /** --kubeconfig? --kube-context <ctx> --namespace <ns>: every helm call of the environment */
  helmScope: string[];
  /** --kubeconfig? --context <ctx> --namespace <ns>: kubectl inside the namespace */
  kubectlScope: string[];
  /** --kubeconfig? --context <ctx>: kubectl on the cluster (namespaces, nodes, other namespaces) */
  kubectlContext: string[];
}

export interface TargetOptions {
  /** the parsed environments.json, when the caller has read it already (else it is read from `file`) */
  config?: EnvironmentsFile;
  file?: string;
  /** --cluster: kind | minikube | context:<name>, instead of the environment's */
  override?: string;
  /** --name: the kind cluster / minikube profile name */
  name?: string;
  /** --context: the kube context to use */
  context?: string;
  env?: NodeJS.ProcessEnv;
}

export function readEnvironmentsFile(file = join(WORKSPACE_ROOT, 'environments.json')): EnvironmentsFile {
  let parsed: EnvironmentsFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as EnvironmentsFile;
  } catch (e) {
    throw new ClusterError('environments', `cannot read ${file}: ${(e as Error).message.split('\n')[0]}`, 'restore environments.json from git, or create it with `npx nx g chart`');
  }
  if (!parsed || typeof parsed.environments !== 'object')
    throw new ClusterError('environments', `${file} has no "environments"`, 'create it with `npx nx g chart`');
  return parsed;
}

export function targetFor(environment: string, opts: TargetOptions = {}): EnvTarget {
  const env = opts.env ?? process.env;
  const config = opts.config ?? (opts.override ? undefined : readEnvironmentsFile(opts.file));
  const entry = config?.environments[environment];
  if (!entry && !opts.override) throw unknownEnvironment(environment, Object.keys(config?.environments ?? {}));
  const field = opts.override ?? entry?.cluster ?? 'kind';
  const chartName = config?.chart?.name || DEFAULT_CLUSTER_NAME;
  const name = opts.name || (field === 'kind' ? env.KIND_CLUSTER_NAME : undefined) || chartName;
  const parsed = parseClusterField(field, name);
  const kubeContext = opts.context || parsed.context;
  const cluster: ClusterTarget = { ...parsed, context: kubeContext };
  const kubeconfig = cluster.type === 'kind' ? env.CLUSTER_KUBECONFIG || undefined : undefined;
  const namespace = entry?.namespace ?? 'default';
  const kc = kubeconfig ? ['--kubeconfig', kubeconfig] : [];
  return {
    environment,
    cluster,
    kubeContext,
    kubeconfig,
    namespace,
    helmScope: [...kc, '--kube-context', kubeContext, '--namespace', namespace],
    kubectlScope: [...kc, '--context', kubeContext, '--namespace', namespace],
    kubectlContext: [...kc, '--context', kubeContext],
  };
}
