/* deploy-<env>: the options it refuses before any step runs, each naming the fix. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { TempWorkspace, deployWorkspace } from '../../__tests__/deploy-workspace';
import deployExecutor from './executor';

let ws: TempWorkspace;
beforeAll(() => (ws = deployWorkspace()));
afterAll(() => ws.remove());
beforeEach(() => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

it('unknown environment: names the known ones and the fix', async () => {
  await expect(deployExecutor({ environment: 'qa' }, ws.context)).resolves.toEqual({ success: false });
  expect(console.error).toHaveBeenCalledWith('deploy: error in step "environments"\n  cause: no environment "qa" in environments.json (known: local, dev, prod)\n  fix:   use one of them, or add it: npx nx g env qa');
});

it('a service without its image project: names it and the generator that makes it', async () => {
  rmSync(join(ws.dir, 'apps/backend-image/project.json'));
  await expect(deployExecutor({ environment: 'local' }, { ...ws.context, projectsConfigurations: { version: 2, projects: {} } } as ExecutorContext)).resolves.toEqual({ success: false });
  expect(console.error).toHaveBeenCalledWith(expect.stringContaining('Service "backend" has no image project: apps/backend-image/project.json with a docker-build target is missing. Re-create it with `npx nx g service backend`'));
  writeFileSync(join(ws.dir, 'apps/backend-image/project.json'), JSON.stringify({ targets: { 'docker-build': { options: { image: 'todo-backend', dockerfile: 'x' } } } }));
});
