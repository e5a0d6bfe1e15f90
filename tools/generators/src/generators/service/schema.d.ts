export interface ServiceGeneratorSchema {
  /** Service name (DNS-1123 label). */
  name: string;
  type: 'fastapi' | 'nextjs';
  /** Listening port; default 8000 (fastapi) / 3000 (nextjs). */
  port?: number;
  /** Ingress path prefix routed to the service. */
  ingressPath?: string;
  /** Comma-separated services this one calls. */
  connectsTo?: string;
  /** fastapi: uvicorn app, default <pkg>.main:app. */
  asgiApp?: string;
  force?: boolean;
}
