import type { EnvExecutorOptions } from '../../platform/scope';

export interface RollbackExecutorSchema extends EnvExecutorOptions {
  /** Revision; 0 or absent: the previous one. */
  revision?: number;
  timeout?: string;
}
