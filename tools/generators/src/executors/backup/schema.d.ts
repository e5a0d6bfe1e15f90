import type { EnvExecutorOptions } from '../../platform/scope';

export interface BackupExecutorSchema extends EnvExecutorOptions {
  /** Seconds to wait for the Job; default 1800. */
  timeout?: number;
}
