/*
 * End to end, in a temporary copy of the workspace (node_modules symlinked): the generators through
 * the real `npx nx` CLI, the inferred targets through `nx show project`, and the result through real
 * Helm 3 and Helm 4 (`helm lint --strict`, `helm template`). The copy leaves out the generated output
 * (charts/, apps/*-image) and renders it with `nx g chart` first: this tests what the generators
 * produce, not the checked-in chart (that is project todo's, checked by its drift target), so a hand
 * edit of the chart affects todo only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findHelmMajor } from '@todo/cluster';

const WORKSPACE = join(__dirname, '../../../..');
const EXCLUDE = ['node_modules', '.git', '.venv', '.next', '.nx', 'dist', 'tmp', 'reports', 'coverage', '.pytest_cache', '__pycache__'];
/** Generator output, rendered again in the copy (anchored to the copy's root). */
const GENERATED = ['./charts', './apps/*-image'];

let ws: string;
let helm: Record<'helm3' | 'helm4', string>;

function nx(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('npx', ['nx', ...args], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', ...env },
    timeout: 240_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function helmRun(tool: 'helm3' | 'helm4', args: string[]) {
  const r = spawnSync(helm[tool], args, { cwd: ws, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** helm lint --strict and helm template with values-<env>.yaml, with both Helm majors. */
function expectValidChart(env: string) {
  for (const tool of ['helm3', 'helm4'] as const) {
    const lint = helmRun(tool, ['lint', '--strict', 'charts/todo', '-f', `charts/todo/values-${env}.yaml`, '--kube-version', '1.34.0']);
    expect([tool, env, 'lint', lint.status, lint.status ? lint.out : '']).toEqual([tool, env, 'lint', 0, '']);
    const t = helmRun(tool, ['template', 'todo', 'charts/todo', '-n', `todo-${env}`, '-f', 'charts/todo/values.yaml', '-f', `charts/todo/values-${env}.yaml`, '--kube-version', '1.34.0']);
    expect([tool, env, 'template', t.status, t.status ? t.out : '']).toEqual([tool, env, 'template', 0, '']);
    for (const doc of parseAllDocuments(t.out)) expect(doc.errors).toEqual([]);
  }
}

function targetsOf(project: string): string[] {
  const r = nx(['show', 'project', project, '--json']);
  expect(r.status).toBe(0);
  // stdout's JSON, without what npm or Node print around it on stderr (e.g. npm 11.20's config warnings).
  return Object.keys(JSON.parse(r.out.slice(r.out.indexOf('{'), r.out.lastIndexOf('}') + 1)).targets);
}

beforeAll(() => {
  helm = { helm3: findHelmMajor(WORKSPACE, 'helm3').bin, helm4: findHelmMajor(WORKSPACE, 'helm4').bin };
  ws = mkdtempSync(join(tmpdir(), 'todo-e2e-'));
  const excludes = [...GENERATED.map((e) => `--anchored --exclude='${e}'`), ...EXCLUDE.map((e) => `--no-anchored --exclude='${e}'`)];
  execFileSync('bash', ['-c', `tar -C "$1" ${excludes.join(' ')} -cf - . | tar -C "$2" -xf -`, 'copy', WORKSPACE, ws]);
  symlinkSync(join(WORKSPACE, 'node_modules'), join(ws, 'node_modules'));
  if (existsSync(join(WORKSPACE, 'apps/frontend/node_modules')))
    symlinkSync(join(WORKSPACE, 'apps/frontend/node_modules'), join(ws, 'apps/frontend/node_modules'));
  expect(existsSync(join(ws, 'charts')) || existsSync(join(ws, 'apps/frontend-image'))).toBe(false);
  const r = nx(['g', 'chart']);
  expect([r.status, r.out]).toEqual([0, expect.stringContaining('CREATE charts/todo/project.json')]);
  expect(r.out).toContain('CREATE apps/frontend-image/Dockerfile');
}, 900_000);

afterAll(() => {
  if (ws && !process.env.KEEP_E2E_WORKSPACE) rmSync(ws, { recursive: true, force: true });
});

describe('in a copy of the workspace', () => {
  it('`npx nx g env qa --cluster=kind --database=sqlite`: values file, targets, valid chart', () => {
    const r = nx(['g', 'env', 'qa', '--cluster=kind', '--database=sqlite']);
    expect([r.status, r.out]).toEqual([0, expect.stringContaining('CREATE charts/todo/values-qa.yaml')]);
    const config = JSON.parse(readFileSync(join(ws, 'environments.json'), 'utf8'));
    expect(config.environments.qa).toEqual({ cluster: 'kind', namespace: 'todo-qa', host: 'qa.todo.localhost', replicas: 1, database: 'sqlite', ai: 'mock' });
    expect(targetsOf('todo')).toEqual(expect.arrayContaining(['deploy-qa', 'status-qa', 'rollback-qa', 'uninstall-qa', 'deploy-local', 'lint', 'template']));
    expectValidChart('qa');
  });

  it('`npx nx g service worker --type=fastapi --port=8080`: image project, chart templates, valid chart for every environment', () => {
    const r = nx(['g', 'service', 'worker', '--type=fastapi', '--port=8080']);
    expect([r.status, r.out]).toEqual([0, expect.stringContaining('CREATE apps/worker-image/Dockerfile')]);
    expect(r.out).toContain('CREATE charts/todo/templates/worker/deployment.yaml');
    expect(targetsOf('worker-image')).toEqual(expect.arrayContaining(['docker-build', 'docker-run', 'scan', 'lint']));
    for (const env of ['local', 'dev', 'qa']) expectValidChart(env);
    const t = helmRun('helm4', ['template', 'todo', 'charts/todo', '-f', 'charts/todo/values-qa.yaml', '--kube-version', '1.34.0']);
    const names = parseAllDocuments(t.out).map((d) => d.toJS()).filter(Boolean).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['Deployment/todo-worker', 'Service/todo-worker', 'NetworkPolicy/todo-worker']));
  });

  it('bad input through the CLI: one-line message, exit code 1, nothing written', () => {
    const before = readFileSync(join(ws, 'environments.json'), 'utf8');
    for (const [args, message] of [
      [['g', 'env', 'Prod'], 'Invalid environment name "Prod"'],
      [['g', 'env', 'kube-system'], 'is reserved'],
      [['g', 'env', 'qa'], 'Environment "qa" already exists in environments.json: pass --force'],
      [['g', 'env', 'stage', '--cluster=k3d'], 'Unknown cluster "k3d"'],
      [['g', 'env', 'stage', '--replicas=0'], 'Invalid --replicas=0'],
      [['g', 'env', 'stage', '--host=Bad_Host'], 'Invalid host "Bad_Host"'],
      [['g', 'env', 'stage', '--database=mysql'], 'mysql'],
    ] as const) {
      const r = nx([...args]);
      expect([args.join(' '), r.status, r.out]).toEqual([args.join(' '), 1, expect.stringContaining(message)]);
    }
    expect(readFileSync(join(ws, 'environments.json'), 'utf8')).toBe(before);
    expect(existsSync(join(ws, 'charts/todo/values-stage.yaml'))).toBe(false);
  });

  it('--dry-run writes nothing', () => {
    const r = nx(['g', 'env', 'preview', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('CREATE charts/todo/values-preview.yaml');
    expect(existsSync(join(ws, 'charts/todo/values-preview.yaml'))).toBe(false);
  });

  it('deploy-qa wires the Helm 3 / Helm 4 flags (printed with --dryRun)', () => {
    const h3 = nx(['run', 'todo:deploy-qa', '--dryRun'], { HELM: helm.helm3 });
    expect([h3.status, h3.out]).toEqual([0, expect.stringMatching(/helm upgrade --install todo .*charts\/todo --kube-context kind-todo --namespace todo-qa --create-namespace -f .*values\.yaml -f .*values-qa\.yaml --set services\.backend\.image\.repository=todo-backend --set services\.backend\.image\.tag=content-\w+ .*--description 'deploy-digest=\w+ \(nx deploy-qa\)' --wait --timeout 5m --atomic/)]);
    const h4 = nx(['run', 'todo:deploy-qa', '--dryRun'], { HELM: helm.helm4 });
    expect([h4.status, h4.out]).toEqual([0, expect.stringContaining('--rollback-on-failure')]);
  });

  it('the chart targets: todo:lint (Helm 3 and 4, every values file) and todo:template', () => {
    const env = { HELM3: helm.helm3, HELM4: helm.helm4 };
    const lint = nx(['run', 'todo:lint', '--skip-nx-cache'], env);
    expect([lint.status, lint.out]).toEqual([0, expect.stringContaining('lint --strict values-qa.yaml')]);
    expect(lint.out.match(/^ok\s+helm v\d/gm)).toHaveLength(2 * 3);
    const template = nx(['run', 'todo:template', '--skip-nx-cache'], env);
    expect(template.status).toBe(0);
    expect(existsSync(join(ws, 'dist/charts/todo/qa.yaml'))).toBe(true);
  });

  it('`nx g manifests qa` writes a kustomization', () => {
    const r = nx(['g', 'manifests', 'qa'], { HELM: helm.helm4 });
    expect([r.status, r.out]).toEqual([0, expect.stringContaining('CREATE deploy/manifests/qa/kustomization.yaml')]);
  });

  it('after all that, `nx g chart --check` reports no drift', () => {
    const r = nx(['g', 'chart', '--check']);
    expect([r.status, r.out]).toEqual([0, expect.any(String)]);
  });
});
