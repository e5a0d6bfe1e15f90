/* uninstall-<env> against recording stand-ins for helm and kubectl. */
import { standInSuite } from '../../__tests__/helm-stand-ins';
import uninstallExecutor from './executor';

const t = standInSuite();

it('uninstall', async () => {
  await uninstallExecutor({ environment: 'local', release: 'todo-x' }, t.ws.context);
  expect(t.tools.calls()).toContain('helm uninstall todo-x --kube-context kind-todo --namespace todo-local --wait --timeout 5m');
});

it('lists what it keeps on purpose (kubectl on the same scope), and how to delete it', async () => {
  await expect(uninstallExecutor({ environment: 'local' }, t.ws.context)).resolves.toEqual({ success: true });
  expect(t.tools.calls()).toContain('kubectl --context kind-todo --namespace todo-local get pvc,secret -l app.kubernetes.io/instance=todo -o name');
  expect(console.log).toHaveBeenCalledWith('Uninstalled todo from todo-local; no data volumes or Secrets were left.');
});
