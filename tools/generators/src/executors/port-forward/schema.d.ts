export interface PortForwardExecutorSchema {
  environment: string;
  release?: string;
  context?: string;
  portOffset?: number;
}
