export interface ChartLintExecutorSchema {
  helm?: Array<'helm3' | 'helm4'>;
}
