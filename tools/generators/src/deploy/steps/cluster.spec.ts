/* The "cluster" step's check on a recording cluster: kind (absent, stopped, ingress not ready, ready), minikube, an existing context, a dry run. */
import { ClusterError, ingressManifests } from '@todo/cluster';
import { MINIKUBE_ENV, stepSuite } from '../../__tests__/deploy-workspace';
import { clusterStep } from './cluster';

const t = stepSuite(MINIKUBE_ENV);

const [ingressNs, ingressName] = ingressManifests().deployments[0].split('/');
/** kind answers: the clusters `kind get clusters` lists, the node's State.Running, the ingress's ready replicas. */
function kind(clusters: string, running: string, ready: string | { status: number; stderr: string }) {
  t.cluster.state.override = (line) => {
    if (line === 'kind get clusters') return { stdout: clusters };
    if (line === 'docker inspect -f {{.State.Running}} todo-control-plane') return { stdout: `${running}\n` };
    if (line.includes(`-n ${ingressNs} get deployment ${ingressName}`)) return typeof ready === 'string' ? { stdout: ready } : ready;
    return undefined;
  };
}

it('kind: creates a missing cluster, starts a stopped node, repairs a missing ingress, skips a ready one', async () => {
  const c = t.run('local');
  kind('other\n', 'true', '1');
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: 'kind cluster todo does not exist: creating it' });
  kind('todo\n', 'false', '1');
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: 'kind node todo-control-plane is not running: starting it' });
  kind('todo\n', 'true', '0');
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: `cluster todo exists but its ingress controller ${ingressNs}/${ingressName} is not ready: repairing` });
  kind('todo\n', 'true', { status: 1, stderr: 'error: You must be logged in to the server (Unauthorized)' });
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: `cluster todo exists but ${ingressNs}/${ingressName} cannot be read through context kind-todo (error: You must be logged in to the server (Unauthorized)): repairing` });
  kind('todo\n', 'true', '1');
  expect(await clusterStep.needed(c)).toEqual({ needed: false, reason: 'kind cluster todo running, ingress ready' });
  expect(t.cluster.calls.slice(-3)).toEqual([
    'kind get clusters',
    'docker inspect -f {{.State.Running}} todo-control-plane',
    `kubectl --context kind-todo --request-timeout=20s -n ${ingressNs} get deployment ${ingressName} -o jsonpath={.status.readyReplicas}`,
  ]);
});

it('kind: a failing `kind get clusters` names Docker and kind', async () => {
  const c = t.run('local');
  t.cluster.state.override = (line) => (line === 'kind get clusters' ? { status: 1, stderr: 'ERROR: failed to list clusters: command "docker ps" failed' } : undefined);
  const err = await Promise.resolve().then(() => clusterStep.needed(c)).catch((e) => e);
  expect(err).toBeInstanceOf(ClusterError);
  expect([err.cause, err.fix]).toEqual(['`kind get clusters` failed: ERROR: failed to list clusters: command "docker ps" failed', 'check that Docker runs and kind works (`kind get clusters`)']);
});

it('kind: a stopped node is started, not recreated; a failed start fails the step', async () => {
  const c = t.run('local');
  t.cluster.state.override = (line) => (line.startsWith('docker inspect') ? { stdout: 'false\n' } : line === 'docker start todo-control-plane' ? { status: 1 } : undefined);
  expect(await clusterStep.run(c)).toBe(false);
  expect(t.cluster.calls).toEqual(['docker inspect -f {{.State.Running}} todo-control-plane', 'docker start todo-control-plane']);
  expect(console.log).toHaveBeenCalledWith('$ docker start todo-control-plane');
});

it('minikube: a running profile is left alone, a stopped one started', async () => {
  const c = t.run('mini');
  c.tools.minikube = 'minikube';
  expect(await clusterStep.needed(c)).toEqual({ needed: false, reason: 'minikube profile todo running' });
  t.cluster.state.override = (line) => (line.startsWith('minikube status') ? { status: 7, stdout: '{"Host":"Stopped"}' } : undefined);
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: 'minikube profile todo is not running: starting it' });
  expect(t.cluster.calls).toEqual(['minikube status --profile=todo --output=json', 'minikube status --profile=todo --output=json']);
});

it('an existing context is only checked: reachable, or an error naming the context and the fix', async () => {
  const c = t.run('prod');
  expect(await clusterStep.needed(c)).toEqual({ needed: false, reason: 'context prod-admin@eks reachable (ingress and storage are the cluster owner\'s)' });
  expect(t.cluster.calls).toEqual(['kubectl --context prod-admin@eks --request-timeout=20s get --raw /readyz']);
  t.cluster.state.override = () => ({ status: 1, stderr: 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout' });
  await expect(Promise.resolve().then(() => clusterStep.needed(c))).rejects.toThrow(/kube context "prod-admin@eks" is not reachable: Unable to connect[\s\S]*fix "cluster" in environments.json/);
});

it('a dry run checks nothing and prints cluster-up', async () => {
  const c = t.run('local', 3, { dryRun: true });
  expect(await clusterStep.needed(c)).toEqual({ needed: true, reason: 'ensure kind cluster todo (dry run: not checked)' });
  expect(await clusterStep.run(c)).toBe(true);
  expect(console.log).toHaveBeenCalledWith('$ nx run cluster:cluster-up --env=local  (dry run)');
  expect(t.cluster.calls).toEqual([]);
});
