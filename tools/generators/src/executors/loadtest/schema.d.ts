export interface LoadtestExecutorSchema {
  environment: string;
  users?: number;
  duration?: string;
  spawnRate?: number;
  url?: string;
  summary?: string;
  dryRun?: boolean;
}
