/* uninstall-<env> against recording stand-ins for helm and kubectl. */
import { TempWorkspace, deployWorkspace } from '../../__tests__/deploy-workspace';
import { StandIns, helmStandIns } from '../../__tests__/helm-stand-ins';
import uninstallExecutor from './executor';

let ws: TempWorkspace;
let tools: StandIns;
beforeAll(() => {
  ws = deployWorkspace();
  tools = helmStandIns(ws.dir);
});
afterAll(() => ws.remove());
beforeEach(() => {
  tools.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

it('uninstall', async () => {
  await uninstallExecutor({ environment: 'local', release: 'todo-x' }, ws.context);
  expect(tools.calls()).toContain('helm uninstall todo-x --kube-context kind-todo --namespace todo-local --wait --timeout 5m');
});

it('lists what it keeps on purpose (kubectl on the same scope), and how to delete it', async () => {
  await expect(uninstallExecutor({ environment: 'local' }, ws.context)).resolves.toEqual({ success: true });
  expect(tools.calls()).toContain('kubectl --context kind-todo --namespace todo-local get pvc,secret -l app.kubernetes.io/instance=todo -o name');
  expect(console.log).toHaveBeenCalledWith('Uninstalled todo from todo-local; no data volumes or Secrets were left.');
});
