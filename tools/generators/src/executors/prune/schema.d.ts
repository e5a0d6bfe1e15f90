import type { EnvExecutorOptions } from '../../platform/scope';

export interface PruneExecutorSchema extends EnvExecutorOptions {
  /** Images kept per service; default 3 or TODO_KEEP_IMAGES. */
  keep?: number;
}
