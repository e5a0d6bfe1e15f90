export interface LogsExecutorSchema {
  environment: string;
  release?: string;
  context?: string;
  service?: string[] | string;
  since?: string;
}
