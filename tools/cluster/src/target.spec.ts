import { targetFor } from './target';

const config = {
  chart: { name: 'todo' },
  environments: {
    local: { cluster: 'kind', namespace: 'todo-local' },
    mk: { cluster: 'minikube', namespace: 'todo-mk' },
    prod: { cluster: 'context:prod-admin@eks', namespace: 'todo-prod' },
  },
};

describe('targetFor: an environment name becomes its cluster, context, kubeconfig and scope args, once', () => {
  it('kind: cluster named after the chart, context kind-<name>, helm and kubectl scope', () => {
    const t = targetFor('local', { config, env: {} });
    expect(t.cluster).toEqual({ type: 'kind', name: 'todo', context: 'kind-todo' });
    expect(t.kubeContext).toBe('kind-todo');
    expect(t.helmScope).toEqual(['--kube-context', 'kind-todo', '--namespace', 'todo-local']);
    expect(t.kubectlScope).toEqual(['--context', 'kind-todo', '--namespace', 'todo-local']);
    expect(t.kubectlContext).toEqual(['--context', 'kind-todo']);
  });

  it('KIND_CLUSTER_NAME and CLUSTER_KUBECONFIG apply to kind environments only', () => {
    const env = { KIND_CLUSTER_NAME: 'other', CLUSTER_KUBECONFIG: '/tmp/kc' };
    const kind = targetFor('local', { config, env });
    expect([kind.cluster.name, kind.kubeContext, kind.kubeconfig]).toEqual(['other', 'kind-other', '/tmp/kc']);
    expect(kind.helmScope).toEqual(['--kubeconfig', '/tmp/kc', '--kube-context', 'kind-other', '--namespace', 'todo-local']);
    const mk = targetFor('mk', { config, env });
    expect([mk.cluster.name, mk.kubeContext, mk.kubeconfig]).toEqual(['todo', 'todo', undefined]);
    const prod = targetFor('prod', { config, env });
    expect([prod.cluster.type, prod.kubeContext, prod.kubeconfig]).toEqual(['context', 'prod-admin@eks', undefined]);
  });

  it('--context overrides the context everywhere: the cluster and the scope args agree', () => {
    const t = targetFor('local', { config, env: {}, context: 'kind-elsewhere' });
    expect(t.cluster.context).toBe('kind-elsewhere');
    expect(t.kubeContext).toBe('kind-elsewhere');
    expect(t.helmScope).toContain('kind-elsewhere');
    expect(t.kubectlContext).toEqual(['--context', 'kind-elsewhere']);
    // the kind cluster itself is still the environment's (its name does not come from the context)
    expect(t.cluster.name).toBe('todo');
  });

  it('an unknown environment names the known ones', () => {
    expect(() => targetFor('qa', { config, env: {} })).toThrow(/no environment "qa" in environments.json \(known: local, mk, prod\)/);
  });
});
