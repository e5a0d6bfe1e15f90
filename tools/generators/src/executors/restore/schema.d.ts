import type { EnvExecutorOptions } from '../../platform/scope';

export interface RestoreExecutorSchema extends EnvExecutorOptions {
  /** "latest" (default) or a dump file name in the backup PVC. */
  file?: string;
  /** Seconds to wait for the Job; default 1800. */
  timeout?: number;
}
