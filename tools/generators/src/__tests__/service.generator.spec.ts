/* nx g service: image project, chart templates, values stanza, network rules, scaffold; bad input refused with nothing written. */
import type { Tree } from '@nx/devkit';
import { parse } from 'yaml';
import { serviceGenerator } from '../generators/service/generator';
import type { ServiceGeneratorSchema } from '../generators/service/schema';
import { committedTree, readConfigJson, seededTree } from './trees';

describe('service generator', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = await seededTree();
  });

  it('`service worker --type=fastapi --port=8080`: registered, image project, chart templates, values, scaffold', async () => {
    await serviceGenerator(tree, { name: 'worker', type: 'fastapi', port: 8080 });
    expect(readConfigJson(tree).services.worker).toEqual({ type: 'fastapi', port: 8080, asgiApp: 'worker.main:app' });
    const dockerfile = tree.read('apps/worker-image/Dockerfile', 'utf-8')!;
    expect(dockerfile).toContain('COPY apps/worker/requirements.txt');
    expect(dockerfile).toContain('COPY apps/worker/worker/ /app/worker/');
    expect(dockerfile).toContain('CMD ["worker"]');
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(tree.read('apps/worker-image/Dockerfile.dockerignore', 'utf-8')).toContain('!apps/worker/worker/');
    const project = JSON.parse(tree.read('apps/worker-image/project.json', 'utf-8')!);
    expect(project.name).toBe('worker-image');
    expect(project.implicitDependencies).toEqual(['worker', 'k8s-templates']);
    expect(Object.keys(project.targets)).toEqual(['docker-build', 'docker-run', 'scan', 'nx-release-publish', 'lint']);
    expect(project.targets['docker-build']).toMatchObject({
      executor: '@todo/generators:docker-build',
      cache: false,
      options: { image: 'todo-worker', dockerfile: 'apps/worker-image/Dockerfile', baseFlavor: 'python', environment: 'local' },
      configurations: { local: { environment: 'local' }, dev: { environment: 'dev' } },
    });
    expect(project.targets['docker-run'].options).toMatchObject({ ports: ['8080:8080'], networkAlias: 'worker', volumes: ['todo-worker-data:/data'] });
    for (const t of ['deployment', 'service', 'serviceaccount', 'configmap', 'hpa', 'pdb', 'networkpolicy'])
      expect(tree.exists(`charts/todo/templates/worker/${t}.yaml`)).toBe(true);
    const values = parse(tree.read('charts/todo/values.yaml', 'utf-8')!);
    expect(values.services.worker).toMatchObject({ port: 8080, image: { repository: 'todo-worker' } });
    const schema = JSON.parse(tree.read('charts/todo/values.schema.json', 'utf-8')!);
    expect(Object.keys(schema.properties.services.properties)).toEqual(['backend', 'frontend', 'worker']);
    for (const env of ['local', 'dev'])
      expect(parse(tree.read(`charts/todo/values-${env}.yaml`, 'utf-8')!).services.worker.replicaCount).toBeGreaterThan(0);
    // The scaffolded app: health endpoints and what the image needs.
    expect(tree.read('apps/worker/worker/main.py', 'utf-8')).toMatch(/@app\.get\("\/healthz"\)[\s\S]*@app\.get\("\/readyz"\)/);
    // `python -m worker`, what the image runs: uvicorn on $PORT (default the service's port).
    expect(tree.read('apps/worker/worker/__main__.py', 'utf-8')).toMatch(/uvicorn\.run\(\s*"worker\.main:app"[\s\S]*"PORT", "8080"/);
    expect(tree.read('apps/worker/requirements.txt', 'utf-8')).toMatch(/^fastapi==/m);
    expect(JSON.parse(tree.read('apps/worker/project.json', 'utf-8')!).name).toBe('worker');
  });

  it('nextjs service calling backend: BACKEND_URL, network rules on both sides, npm workspace', async () => {
    await serviceGenerator(tree, { name: 'admin', type: 'nextjs', ingressPath: '/admin', connectsTo: 'backend' });
    expect(readConfigJson(tree).services.admin).toEqual({ type: 'nextjs', port: 3000, ingressPath: '/admin', connectsTo: ['backend'] });
    expect(tree.read('charts/todo/templates/admin/configmap.yaml', 'utf-8')).toContain('"BACKEND_URL"');
    expect(tree.read('charts/todo/templates/backend/networkpolicy.yaml', 'utf-8')).toContain('# admin -> backend');
    // Routing is a value (services.<name>.ingressPath, from environments.json), read by ingress.yaml for every service.
    expect(parse(tree.read('charts/todo/values.yaml', 'utf-8')!).services.admin.ingressPath).toBe('/admin');
    expect(tree.read('charts/todo/templates/ingress.yaml', 'utf-8')).toContain('index $.Values.services "admin"');
    expect(tree.read('apps/admin/app/api/health/route.js', 'utf-8')).toContain('export function GET');
    expect(JSON.parse(tree.read('apps/admin/package.json', 'utf-8')!).dependencies.next).toBeDefined();
    expect(JSON.parse(tree.read('package.json', 'utf-8')!).workspaces).toEqual(['apps/frontend', 'apps/admin']);
    expect(tree.read('apps/admin-image/Dockerfile', 'utf-8')).toContain('CMD ["apps/admin/server.js"]');
    expect(JSON.parse(tree.read('apps/admin-image/project.json', 'utf-8')!).targets['docker-run'].options.env).toEqual({ BACKEND_URL: 'http://backend:8000' });
  });

  it('does not scaffold over an existing app folder', async () => {
    tree.write('apps/api2/own.py', 'print(1)\n');
    await serviceGenerator(tree, { name: 'api2', type: 'fastapi', asgiApp: 'own:app' });
    expect(tree.exists('apps/api2/requirements.txt')).toBe(false);
    expect(tree.read('apps/api2-image/Dockerfile', 'utf-8')).toContain('CMD ["own"]');
  });

  it('--force replaces a service, keeping its migrations', async () => {
    await serviceGenerator(tree, { name: 'backend', type: 'fastapi', port: 9000, asgiApp: 'todo_api.main:app', force: true });
    expect(readConfigJson(tree).services.backend).toEqual({
      type: 'fastapi', port: 9000, asgiApp: 'todo_api.main:app', migrateModule: 'todo_api.migrate',
    });
    expect(parse(tree.read('charts/todo/values.yaml', 'utf-8')!).services.backend.port).toBe(9000);
  });

  describe('bad input: one-line error, nothing written', () => {
    const cases: Array<[string, ServiceGeneratorSchema, RegExp]> = [
      ['name not a DNS label', { name: 'Worker', type: 'fastapi' }, /^Invalid service name "Worker": use a DNS-1123 label/],
      ['reserved name', { name: 'postgres', type: 'fastapi' }, /^The service name "postgres" is taken by the chart's own objects/],
      ['kube-* name', { name: 'kube-proxy', type: 'fastapi' }, /"kube-proxy" is reserved/],
      ['existing service', { name: 'backend', type: 'fastapi' }, /^Service "backend" already exists in environments\.json: pass --force/],
      ['unknown type', { name: 'worker', type: 'django' as never }, /^Unknown --type=django: use one of fastapi, nextjs/],
      ['privileged port', { name: 'worker', type: 'fastapi', port: 80 }, /^Invalid --port=80: use a whole number from 1024 to 65535/],
      ['port too high', { name: 'worker', type: 'fastapi', port: 70000 }, /Invalid --port=70000/],
      ['unknown connectsTo', { name: 'worker', type: 'fastapi', connectsTo: 'api' }, /^--connectsTo=api: no such service; known: backend, frontend$/],
      ['connects to itself', { name: 'worker', type: 'fastapi', connectsTo: 'worker' }, /lists "worker" itself/],
      ['ingress path taken', { name: 'worker', type: 'nextjs', ingressPath: '/' }, /^--ingressPath=\/ is already routed to service "frontend"/],
      ['bad ingress path', { name: 'worker', type: 'nextjs', ingressPath: 'admin' }, /Invalid --ingressPath=admin/],
      ['bad asgiApp', { name: 'worker', type: 'fastapi', asgiApp: 'worker/main.py' }, /Invalid --asgiApp=worker\/main\.py: use module:attribute/],
      ['asgiApp on nextjs', { name: 'worker', type: 'nextjs', asgiApp: 'a:b' }, /--asgiApp is for --type=fastapi only/],
      ['name too long', { name: 'a'.repeat(41), type: 'fastapi' }, /use at most 40/],
    ];
    it.each(cases)('%s', async (_label, options, message) => {
      const committed = await committedTree();
      await expect(serviceGenerator(committed, options)).rejects.toThrow(message);
      expect(committed.listChanges()).toEqual([]);
    });
  });
});
