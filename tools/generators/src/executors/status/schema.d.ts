import type { EnvExecutorOptions } from '../../platform/scope';

export type StatusExecutorSchema = EnvExecutorOptions;
