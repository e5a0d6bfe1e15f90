import type { EnvExecutorOptions } from '../lib/context';

export interface BackupExecutorSchema extends EnvExecutorOptions {
  /** Seconds to wait for the Job; default 1800. */
  timeout?: number;
}
