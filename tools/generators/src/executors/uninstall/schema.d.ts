import type { EnvExecutorOptions } from '../lib/context';

export interface UninstallExecutorSchema extends EnvExecutorOptions {
  timeout?: string;
}
