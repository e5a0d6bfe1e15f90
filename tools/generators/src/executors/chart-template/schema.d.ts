export interface ChartTemplateExecutorSchema {
  outputPath?: string;
  helm?: 'helm3' | 'helm4';
}
