export interface HadolintExecutorSchema {
  /** Dockerfiles to lint, relative to the workspace root. */
  dockerfiles: string[];
  /** Lowest finding level that fails (default info: every finding fails). */
  failureThreshold?: 'error' | 'warning' | 'info' | 'style';
}
