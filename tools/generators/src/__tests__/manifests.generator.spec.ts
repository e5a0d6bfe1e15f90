/* nx g manifests: helm template of the chart in the tree, Secrets replaced by a secretGenerator, a kustomization. Real Helm. */
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { findHelmMajor } from '@todo/cluster';
import { envGenerator } from '../generators/env/generator';
import { manifestsGenerator } from '../generators/manifests/generator';
import { committedTree, seededTree } from './trees';

const WORKSPACE = join(__dirname, '../../../..');

beforeAll(() => {
  process.env.HELM = findHelmMajor(WORKSPACE, 'helm4').bin;
}, 900_000);

describe('manifests generator', () => {
  it('writes namespace, resources and kustomization for an environment; no Secret values', async () => {
    const tree = await seededTree();
    await envGenerator(tree, { name: 'qa', database: 'sqlite' });
    await manifestsGenerator(tree, { environment: 'local' });
    const dir = 'deploy/manifests/local';
    const kustomization = parse(tree.read(`${dir}/kustomization.yaml`, 'utf-8')!);
    expect(kustomization).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'todo-local',
      resources: ['namespace.yaml', 'resources.yaml'],
      secretGenerator: [{ name: 'todo-secrets', envs: ['todo-secrets.env'] }],
      generatorOptions: { disableNameSuffixHash: true },
    });
    const kinds = parseAllDocuments(tree.read(`${dir}/resources.yaml`, 'utf-8')!)
      .map((d) => d.toJS())
      .filter(Boolean)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment/todo-backend', 'StatefulSet/todo-postgres', 'Ingress/todo']));
    expect(kinds.some((k) => k.startsWith('Secret/'))).toBe(false);
    // The helm test pod is a hook: not for kubectl apply.
    expect(kinds.some((k) => k.startsWith('Pod/'))).toBe(false);
    expect(tree.read(`${dir}/todo-secrets.env.example`, 'utf-8')).toContain('JWT_SECRET=\nPOSTGRES_PASSWORD=');
    expect(parse(tree.read(`${dir}/namespace.yaml`, 'utf-8')!).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    await manifestsGenerator(tree, { environment: 'qa', outputPath: 'out/k8s' });
    expect(parse(tree.read('out/k8s/qa/kustomization.yaml', 'utf-8')!).secretGenerator).toEqual([{ name: 'todo-secrets', envs: ['todo-secrets.env'] }]);
    expect(tree.read('out/k8s/qa/todo-secrets.env.example', 'utf-8')).not.toContain('POSTGRES_PASSWORD');
  });

  it.each([
    ['unknown environment', { environment: 'qa' }, /^environments: no environment "qa" in environments\.json \(known: local, dev\)\n {2}fix: use one of them, or add it: npx nx g env qa$/],
    ['bad name', { environment: 'QA' }, /Invalid environment name "QA"/],
    ['output outside the workspace', { environment: 'local', outputPath: '../elsewhere' }, /Invalid --outputPath=\.\.\/elsewhere/],
  ])('bad input: %s (nothing written)', async (_label, options, message) => {
    const tree = await committedTree();
    await expect(manifestsGenerator(tree, options)).rejects.toThrow(message);
    expect(tree.listChanges()).toEqual([]);
  });
});
