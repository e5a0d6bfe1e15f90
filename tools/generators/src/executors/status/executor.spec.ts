/* status-<env> against recording stand-ins for helm and kubectl: the commands, and CLUSTER_KUBECONFIG for kind environments only. */
import { standInSuite } from '../../__tests__/helm-stand-ins';
import rollbackExecutor from '../rollback/executor';
import statusExecutor from './executor';

const t = standInSuite();

it('status: helm status, then the pods, then their load and the autoscalers', async () => {
  await expect(statusExecutor({ environment: 'dev' }, t.ws.context)).resolves.toEqual({ success: true });
  expect(t.tools.calls()).toEqual(
    expect.arrayContaining([
      'helm status todo --kube-context kind-todo --namespace todo-dev',
      'kubectl --context kind-todo --namespace todo-dev get pods -l app.kubernetes.io/instance=todo -o wide',
      'kubectl --context kind-todo --namespace todo-dev get pods -l app.kubernetes.io/instance=todo -o json',
      'kubectl --context kind-todo --namespace todo-dev get hpa -l app.kubernetes.io/instance=todo -o json',
    ]),
  );
});

it("status on a cluster without a metrics API: says so, still succeeds; with one, asks it for the release's pods", async () => {
  const printed: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((l: string) => void printed.push(l));
  await expect(statusExecutor({ environment: 'dev' }, t.ws.context)).resolves.toEqual({ success: true });
  expect(printed.join('\n')).toMatch(/no metrics API on this cluster/);
  expect(t.tools.calls().some((c) => c.includes('/namespaces/todo-dev/pods?'))).toBe(false);
  process.env.FAKE_METRICS = '{"items": []}';
  await statusExecutor({ environment: 'dev' }, t.ws.context);
  expect(t.tools.calls()).toContain('kubectl --context kind-todo --namespace todo-dev get --raw /apis/metrics.k8s.io/v1beta1/namespaces/todo-dev/pods?labelSelector=app.kubernetes.io%2Finstance%3Dtodo');
});

it('CLUSTER_KUBECONFIG (where cluster-up keeps the kind context) reaches helm and kubectl of kind environments only', async () => {
  process.env.CLUSTER_KUBECONFIG = '/tmp/kind-kubeconfig';
  await statusExecutor({ environment: 'local' }, t.ws.context);
  await rollbackExecutor({ environment: 'prod' }, t.ws.context);
  expect(t.tools.calls()).toEqual(
    expect.arrayContaining([
      'helm status todo --kubeconfig /tmp/kind-kubeconfig --kube-context kind-todo --namespace todo-local',
      'kubectl --kubeconfig /tmp/kind-kubeconfig --context kind-todo --namespace todo-local get pods -l app.kubernetes.io/instance=todo -o wide',
      'helm rollback todo --kube-context prod-admin@eks --namespace todo-prod --wait --timeout 5m',
    ]),
  );
});

it('a failing helm status fails the target, the pods are still listed', async () => {
  process.env.FAKE_HELM_EXIT = '1';
  await expect(statusExecutor({ environment: 'dev' }, t.ws.context)).resolves.toEqual({ success: false });
  expect(t.tools.calls().some((l) => l.startsWith('kubectl ') && l.includes('get pods'))).toBe(true);
});
