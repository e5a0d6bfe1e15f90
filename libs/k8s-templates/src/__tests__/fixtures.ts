/* Inputs shared by the template tests: the platform as it ships (backend + frontend) and its environments. */
import type { ChartInput, EnvironmentSpec, ServiceSpec } from '../inputs';

export const backend: ServiceSpec = {
  name: 'backend',
  type: 'fastapi',
  port: 8000,
  asgiApp: 'todo_api.main:app',
  migrateModule: 'todo_api.migrate',
};

export const frontend: ServiceSpec = {
  name: 'frontend',
  type: 'nextjs',
  port: 3000,
  ingressPath: '/',
  connectsTo: ['backend'],
};

export const worker: ServiceSpec = { name: 'worker', type: 'fastapi', port: 8080, asgiApp: 'worker.main:app' };

export const chart: ChartInput = {
  chart: {
    name: 'todo',
    version: '0.1.0',
    appVersion: '0.1.0',
    kubeVersion: '>=1.33.0-0 <1.38.0-0',
    description: 'Todo app: FastAPI backend, Next.js frontend, PostgreSQL.',
  },
  services: [backend, frontend],
};

export const environments: EnvironmentSpec[] = [
  { name: 'local', cluster: 'kind', namespace: 'todo-local', host: 'todo.localhost', replicas: 1, database: 'postgres', ai: 'mock' },
  { name: 'dev', cluster: 'kind', namespace: 'todo-dev', host: 'dev.todo.localhost', replicas: 2, database: 'postgres', ai: 'mock' },
  { name: 'lite', cluster: 'minikube', namespace: 'todo-lite', host: 'lite.todo.localhost', replicas: 1, database: 'sqlite', ai: 'mock' },
  {
    name: 'cloud',
    cluster: 'context:gke_proj_europe-west1_main',
    registry: 'registry.example.com/todo',
    namespace: 'todo-cloud',
    host: 'todo.example.com',
    replicas: 3,
    database: 'external',
    ai: 'groq',
    values: {
      ingress: { tls: { enabled: true, secretName: 'todo-tls' } },
      services: { backend: { autoscaling: { enabled: true } } },
    },
  },
];
