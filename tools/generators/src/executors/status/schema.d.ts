import type { EnvExecutorOptions } from '../lib/context';

export type StatusExecutorSchema = EnvExecutorOptions;
