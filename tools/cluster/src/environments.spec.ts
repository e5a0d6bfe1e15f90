import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterFor, parseClusterField, readEnvironments } from './environments';
import { ClusterError } from './errors';

describe('environments.json cluster field', () => {
  it('maps kind, minikube and context:<name> to a cluster and kube context', () => {
    expect(parseClusterField('kind')).toEqual({ type: 'kind', name: 'todo', context: 'kind-todo' });
    expect(parseClusterField('minikube')).toEqual({ type: 'minikube', name: 'todo', context: 'todo' });
    expect(parseClusterField('context:prod-eu')).toEqual({ type: 'context', name: 'prod-eu', context: 'prod-eu' });
    expect(() => parseClusterField('k3d')).toThrow(ClusterError);
  });

  it('reads every environment of the real root environments.json', () => {
    const envs = readEnvironments().environments;
    expect(Object.keys(envs).length).toBeGreaterThan(0);
    for (const name of Object.keys(envs)) expect(() => clusterFor(name)).not.toThrow();
  });

  it('uses the file, an override, and names unknown environments', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'cluster-envs-')), 'environments.json');
    writeFileSync(f, JSON.stringify({ environments: { a: { cluster: 'minikube' }, b: { cluster: 'context:x' } } }));
    expect(clusterFor('a', { file: f }).type).toBe('minikube');
    expect(clusterFor('b', { file: f }).context).toBe('x');
    expect(clusterFor('a', { file: f, override: 'kind', name: 'demo' }).context).toBe('kind-demo');
    expect(() => clusterFor('zzz', { file: f })).toThrow(/no environment "zzz".*known: a, b/);
  });
});
