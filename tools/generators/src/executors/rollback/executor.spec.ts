/* rollback-<env> against a recording stand-in for helm. */
import { standInSuite } from '../../__tests__/helm-stand-ins';
import rollbackExecutor from './executor';

const t = standInSuite();

it('rollback: previous revision by default, or the one given', async () => {
  await rollbackExecutor({ environment: 'local' }, t.ws.context);
  await rollbackExecutor({ environment: 'local', revision: 3 }, t.ws.context);
  expect(t.tools.calls().filter((l) => l.startsWith('helm rollback'))).toEqual([
    'helm rollback todo --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
    'helm rollback todo 3 --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
  ]);
});
