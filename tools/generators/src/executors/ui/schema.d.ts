export interface UiExecutorSchema {
  environment: string;
  release?: string;
  context?: string;
  uiPort?: number;
}
