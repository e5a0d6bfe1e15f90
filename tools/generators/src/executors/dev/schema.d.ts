export interface DevExecutorSchema {
  environment: string;
  release?: string;
  context?: string;
  timeout?: string;
  set?: string[];
  values?: string[];
  logs?: boolean;
  portForward?: boolean;
  portOffset?: number;
  debounceMs?: number;
}
