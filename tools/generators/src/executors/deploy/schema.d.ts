import type { EnvExecutorOptions } from '../lib/context';

export interface DeployExecutorSchema extends EnvExecutorOptions {
  /** Helm --timeout; default 5m. */
  timeout?: string;
  /** Extra --set key=value pairs (after the values files). */
  set?: string[];
  /** Extra values files, after values.yaml and values-<env>.yaml. */
  values?: string[];
  /** Check the app through the ingress at the end (default true). */
  smoke?: boolean;
  /** Build or reuse the offline stand-ins and deploy with them (also TODO_OFFLINE=1). */
  offline?: boolean;
  /** Images per service kept after a deploy (default 3 or TODO_KEEP_IMAGES; 0: no pruning). */
  keep?: number;
}
