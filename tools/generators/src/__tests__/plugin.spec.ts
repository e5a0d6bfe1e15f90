/* createNodes: deploy-/status-/rollback-/uninstall-/backup-/restore-<env> on the chart project, from environments.json alone. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateNodesContext } from '@nx/devkit';
import { createNodes } from '../plugin';
import { seedConfig, serializeConfig } from '../platform/config';

function workspace(withProject: boolean) {
  const root = mkdtempSync(join(tmpdir(), 'plugin-'));
  const config = seedConfig();
  config.environments.qa = { cluster: 'minikube', namespace: 'todo-qa', host: 'qa.todo.localhost', replicas: 1, database: 'sqlite', ai: 'mock' };
  writeFileSync(join(root, 'environments.json'), serializeConfig(config));
  if (withProject) {
    mkdirSync(join(root, 'charts/todo'), { recursive: true });
    writeFileSync(join(root, 'charts/todo/project.json'), '{"name":"todo"}');
  }
  return { workspaceRoot: root, nxJsonConfiguration: {} } as unknown as CreateNodesContext;
}

describe('createNodes', () => {
  const [glob, fn] = createNodes;

  it('matches environments.json at the root', () => expect(glob).toBe('environments.json'));

  it('adds the targets of every environment to charts/todo', async () => {
    const results = await fn(['environments.json'], {}, workspace(true));
    const targets = results[0][1].projects!['charts/todo'].targets!;
    expect(Object.keys(targets)).toEqual([
      'deploy-local', 'status-local', 'rollback-local', 'uninstall-local', 'backup-local', 'restore-local', 'prune-local',
      'dev-local', 'logs-local', 'port-forward-local', 'ui-local', 'loadtest-local',
      'deploy-dev', 'status-dev', 'rollback-dev', 'uninstall-dev', 'backup-dev', 'restore-dev', 'prune-dev',
      'dev-dev', 'logs-dev', 'port-forward-dev', 'ui-dev', 'loadtest-dev',
      'deploy-qa', 'status-qa', 'rollback-qa', 'uninstall-qa', 'backup-qa', 'restore-qa', 'prune-qa',
      'dev-qa', 'logs-qa', 'port-forward-qa', 'ui-qa', 'loadtest-qa',
    ]);
    expect(targets['deploy-qa']).toMatchObject({ executor: '@todo/generators:deploy', options: { environment: 'qa' }, cache: false });
    expect(targets['status-qa'].metadata?.description).toContain('context todo');
    expect(targets['restore-qa']).toMatchObject({ executor: '@todo/generators:restore', options: { environment: 'qa' }, cache: false });
    expect(targets['restore-qa'].metadata?.description).toContain('the schema replaced by the newest dump');
    expect(targets['prune-qa']).toMatchObject({ executor: '@todo/generators:prune', options: { environment: 'qa' }, cache: false });
  });

  it('adds nothing before the chart project exists', async () => {
    const results = await fn(['environments.json'], {}, workspace(false));
    expect(results[0][1]).toEqual({});
  });
});
