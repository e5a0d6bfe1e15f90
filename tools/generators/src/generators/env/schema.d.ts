export interface EnvGeneratorSchema {
  /** Environment name (DNS-1123 label). */
  name: string;
  /** Namespace; default todo-<name>. */
  namespace?: string;
  /** kind | minikube | context:<kube-context>; default kind. */
  cluster?: string;
  /** Registry images are pushed to. */
  registry?: string;
  /** Ingress host; default <name>.todo.localhost. */
  host?: string;
  /** Replicas of every service; default 1. */
  replicas?: number;
  /** Autoscale between replicas and maxReplicas; default: on with 2+ replicas (not with sqlite). */
  autoscaling?: boolean;
  /** Most replicas with autoscaling; default 2 x replicas (at most 5 with postgres). */
  maxReplicas?: number;
  database?: 'postgres' | 'sqlite' | 'external';
  ai?: 'mock' | 'groq';
  /** Replace an existing environment. */
  force?: boolean;
}
