import type { EnvExecutorOptions } from '../../platform/scope';

export interface UninstallExecutorSchema extends EnvExecutorOptions {
  timeout?: string;
}
