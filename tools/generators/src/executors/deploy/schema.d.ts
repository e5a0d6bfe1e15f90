import type { EnvExecutorOptions } from '../lib/context';

export interface DeployExecutorSchema extends EnvExecutorOptions {
  /** Helm --timeout; default 5m. */
  timeout?: string;
  /** Extra --set key=value pairs. */
  set?: string[];
}
