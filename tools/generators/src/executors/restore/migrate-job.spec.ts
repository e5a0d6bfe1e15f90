/* The restore's migrate Job, from a rendered Deployment: what stays, what becomes the container, what is left out. */
import { parse } from 'yaml';
import { migrateJobYaml } from './migrate-job';

const deployment = (initContainers: string[]) => `
# Source: todo/templates/backend/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: { name: todo-backend }
spec:
  template:
    metadata:
      labels: { app.kubernetes.io/component: backend, app.kubernetes.io/instance: todo }
      annotations: { todo.dev/migrations: abc }
    spec:
      serviceAccountName: todo-backend
      securityContext: { runAsNonRoot: true }
      volumes: [{ name: code, emptyDir: {} }]
      initContainers: [${initContainers.map((n) => `{ name: ${n}, image: todo-backend:content-1 }`).join(', ')}]
      containers:
        - { name: backend, image: todo-backend:content-1, readinessProbe: { httpGet: { path: /readyz, port: 8000 } } }
`;

it('the init containers before migrate stay, migrate is the one container, the server is left out', () => {
  const job = parse(migrateJobYaml(deployment(['code', 'wait-for-database', 'migrate']), 'todo-backend-migrate-1')!);
  const pod = job.spec.template.spec;
  expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['code', 'wait-for-database']);
  expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['migrate']);
  expect(pod).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'todo-backend', securityContext: { runAsNonRoot: true }, volumes: [{ name: 'code' }] });
  expect(job.metadata).toEqual({ name: 'todo-backend-migrate-1', labels: { 'app.kubernetes.io/component': 'backend', 'app.kubernetes.io/instance': 'todo', 'todo.dev/operation': 'migrate' } });
  expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600 });
});

it('migrate first: no init containers left', () => {
  const pod = parse(migrateJobYaml(deployment(['migrate']), 'j')!).spec.template.spec;
  expect(pod.initContainers).toBeUndefined();
  expect(pod.containers[0].name).toBe('migrate');
});

it('a pod without a migrate init container (no migrations), or no Deployment at all: no Job', () => {
  expect(migrateJobYaml(deployment(['wait-for-database']), 'j')).toBeUndefined();
  expect(migrateJobYaml('', 'j')).toBeUndefined();
});
