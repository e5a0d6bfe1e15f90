/* rollback-<env> against a recording stand-in for helm. */
import { TempWorkspace, deployWorkspace } from '../../__tests__/deploy-workspace';
import { StandIns, helmStandIns } from '../../__tests__/helm-stand-ins';
import rollbackExecutor from './executor';

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

it('rollback: previous revision by default, or the one given', async () => {
  await rollbackExecutor({ environment: 'local' }, ws.context);
  await rollbackExecutor({ environment: 'local', revision: 3 }, ws.context);
  expect(tools.calls().filter((l) => l.startsWith('helm rollback'))).toEqual([
    'helm rollback todo --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
    'helm rollback todo 3 --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
  ]);
});
