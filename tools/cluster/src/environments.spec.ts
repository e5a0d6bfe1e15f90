import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_FIELD_PATTERN, clusterFieldProblem, parseClusterField, unknownEnvironment } from './environments';
import { ClusterError, PlatformError } from './errors';
import { readEnvironmentsFile, targetFor } from './target';

describe('environments.json cluster field', () => {
  it('maps kind, minikube and context:<name> to a cluster and kube context', () => {
    expect(parseClusterField('kind')).toEqual({ type: 'kind', name: 'todo', context: 'kind-todo' });
    expect(parseClusterField('minikube')).toEqual({ type: 'minikube', name: 'todo', context: 'todo' });
    expect(parseClusterField('context:prod-eu')).toEqual({ type: 'context', name: 'prod-eu', context: 'prod-eu' });
    expect(() => parseClusterField('k3d')).toThrow(ClusterError);
  });

  it('one rule: kube context names as kubeconfigs hold them, nothing else', () => {
    for (const ok of ['kind', 'minikube', 'context:kind-x', 'context:gke_p_z_c', 'context:arn:aws:eks:eu-west-1:1:cluster/x', 'context:admin@prod'])
      expect([ok, clusterFieldProblem(ok), CLUSTER_FIELD_PATTERN.test(ok)]).toEqual([ok, undefined, true]);
    for (const bad of ['k3d', 'kindd', 'Kind', ' kind', 'context:', 'context:my cluster', 'context:-x', ''])
      expect([bad, CLUSTER_FIELD_PATTERN.test(bad)]).toEqual([bad, false]);
    expect(clusterFieldProblem('k3d')).toBe('unknown cluster "k3d"');
    expect(clusterFieldProblem('context:my cluster')).toBe('invalid kube context name "my cluster" in "context:my cluster"');
    expect(() => parseClusterField('context:my cluster')).toThrow(/invalid kube context name "my cluster"[\s\S]*fix: .*context:<kube context name>/);
  });

  it('reads every environment of the real root environments.json', () => {
    const envs = readEnvironmentsFile().environments;
    expect(Object.keys(envs).length).toBeGreaterThan(0);
    for (const name of Object.keys(envs)) expect(() => targetFor(name).cluster).not.toThrow();
  });

  it('uses the file, an override, and names unknown environments', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'cluster-envs-')), 'environments.json');
    writeFileSync(f, JSON.stringify({ environments: { a: { cluster: 'minikube' }, b: { cluster: 'context:x' } } }));
    expect(targetFor('a', { file: f }).cluster.type).toBe('minikube');
    expect(targetFor('b', { file: f }).cluster.context).toBe('x');
    expect(targetFor('a', { file: f, override: 'kind', name: 'demo' }).cluster.context).toBe('kind-demo');
    expect(() => targetFor('zzz', { file: f })).toThrow(/no environment "zzz".*known: a, b/);
  });

  it('an unknown environment: one wording, a family error with the fix', () => {
    const e = unknownEnvironment('qa', ['local', 'dev']);
    expect(e).toBeInstanceOf(PlatformError);
    expect([e.step, e.cause, e.fix]).toEqual(['environments', 'no environment "qa" in environments.json (known: local, dev)', 'use one of them, or add it: npx nx g env qa']);
    expect(unknownEnvironment('qa', []).cause).toBe('no environment "qa" in environments.json (known: none)');
  });
});
