/* nx g env: the happy paths, and every bad input refused with a one-line message and nothing written. */
import type { Tree } from '@nx/devkit';
import { parse } from 'yaml';
import { envGenerator } from '../generators/env/generator';
import type { EnvGeneratorSchema } from '../generators/env/schema';
import { environmentTargets } from '../plugin';
import { committedTree, readConfigJson, seededTree } from './trees';

describe('env generator', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = await seededTree();
  });

  it('seeds local (kind, postgres, todo.localhost) and dev', () => {
    const config = readConfigJson(tree);
    expect(config.environments.local).toEqual({
      cluster: 'kind', namespace: 'todo-local', host: 'todo.localhost', replicas: 1, database: 'postgres', ai: 'mock',
    });
    expect(Object.keys(config.environments)).toEqual(['local', 'dev']);
    expect(tree.exists('charts/todo/values-local.yaml')).toBe(true);
  });

  it('`env staging` with the defaults', async () => {
    await envGenerator(tree, { name: 'staging' });
    const config = readConfigJson(tree);
    expect(config.environments.staging).toEqual({
      cluster: 'kind', namespace: 'todo-staging', host: 'staging.todo.localhost', replicas: 1, database: 'postgres', ai: 'mock',
    });
    const values = parse(tree.read('charts/todo/values-staging.yaml', 'utf-8')!);
    expect(values).toMatchObject({ global: { environment: 'staging' }, ingress: { host: 'staging.todo.localhost' }, database: { mode: 'postgres' } });
    expect(Object.keys(environmentTargets(config))).toEqual(
      expect.arrayContaining(['deploy-staging', 'status-staging', 'rollback-staging', 'uninstall-staging']),
    );
    expect(environmentTargets(config)['deploy-staging']).toMatchObject({ executor: '@todo/generators:deploy', options: { environment: 'staging' } });
    // Same executor as local, only the option differs.
    expect(environmentTargets(config)['deploy-local'].executor).toBe(environmentTargets(config)['deploy-staging'].executor);
  });

  it('all options: existing context, registry, host, replicas, external database, groq', async () => {
    await envGenerator(tree, {
      name: 'prod', namespace: 'todo-production', cluster: 'context:arn:aws:eks:eu-west-1:123:cluster/main',
      registry: 'registry.example.com:5000/todo', host: 'todo.example.com', replicas: 3, database: 'external', ai: 'groq',
    });
    const values = parse(tree.read('charts/todo/values-prod.yaml', 'utf-8')!);
    expect(values.global.imageRegistry).toBe('registry.example.com:5000/todo');
    expect(values.services.backend.replicaCount).toBe(3);
    expect(values.database.external.existingSecret).toBe('todo-database');
    expect(values.ai.groq.existingSecret).toBe('todo-groq');
    expect(environmentTargets(readConfigJson(tree))['deploy-prod'].metadata?.description).toContain('context arn:aws:eks:eu-west-1:123:cluster/main');
  });

  it('autoscaling where it fits: on from 2 replicas (max twice, at most 5 with the in-cluster PostgreSQL), off for one replica; both can be asked for', async () => {
    await envGenerator(tree, { name: 'qa', replicas: 2 });
    await envGenerator(tree, { name: 'big', replicas: 4 });
    await envGenerator(tree, { name: 'one', autoscaling: true, maxReplicas: 3 });
    await envGenerator(tree, { name: 'fixed', replicas: 2, autoscaling: false });
    const envs = readConfigJson(tree).environments;
    expect([envs.qa.maxReplicas, envs.big.maxReplicas, envs.one.maxReplicas, envs.fixed.maxReplicas, envs.local.maxReplicas, envs.dev.maxReplicas]).toEqual([4, 5, 3, undefined, undefined, 4]);
    expect(parse(tree.read('charts/todo/values-qa.yaml', 'utf-8')!).services.backend).toEqual({ replicaCount: 2, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } });
    expect(parse(tree.read('charts/todo/values-fixed.yaml', 'utf-8')!).services.backend).toEqual({ replicaCount: 2 });
  });

  it('minikube writes the minikube profile; --force replaces and keeps extra values', async () => {
    const config = readConfigJson(tree);
    config.environments.dev.values = { config: { logLevel: 'debug' } };
    tree.write('environments.json', JSON.stringify(config));
    await envGenerator(tree, { name: 'dev', cluster: 'minikube', database: 'sqlite', force: true });
    expect(tree.exists('charts/todo/clusters/minikube.yaml')).toBe(true);
    const dev = readConfigJson(tree).environments.dev;
    expect(dev).toMatchObject({ cluster: 'minikube', database: 'sqlite', values: { config: { logLevel: 'debug' } } });
    expect(parse(tree.read('charts/todo/values-dev.yaml', 'utf-8')!).config).toEqual({ logLevel: 'debug' });
  });

  describe('bad input: one-line error naming the fix, nothing written', () => {
    const cases: Array<[string, EnvGeneratorSchema, RegExp]> = [
      ['uppercase name', { name: 'Staging' }, /^Invalid environment name "Staging": use a DNS-1123 label .*e\.g\. "staging"$/],
      ['underscore', { name: 'my_env' }, /Invalid environment name "my_env".*e\.g\. "my-env"/],
      ['invalid and, once fixed, reserved', { name: 'Kube_System' }, /^Invalid environment name "Kube_System": .*e\.g\. "staging"$/],
      ['leading dash', { name: '-qa' }, /Invalid environment name "-qa"/],
      ['too long', { name: 'a'.repeat(64) }, /Invalid environment name "a{64}"/],
      ['missing name', { name: '' }, /^Missing environment name: pass it as the first argument/],
      ['reserved default', { name: 'default' }, /^The environment name "default" is reserved .*choose another/],
      ['reserved kube-system', { name: 'kube-system' }, /"kube-system" is reserved/],
      ['reserved kube-public', { name: 'kube-public' }, /"kube-public" is reserved/],
      ['reserved kube-node-lease', { name: 'kube-node-lease' }, /"kube-node-lease" is reserved/],
      ['reserved kube-*', { name: 'kube-anything' }, /"kube-anything" is reserved/],
      ['target-like name', { name: 'deploy-x' }, /would make target names like "deploy-deploy-x"/],
      ['existing without --force', { name: 'local' }, /^Environment "local" already exists in environments\.json: pass --force to replace it, or choose another name$/],
      ['unknown cluster kind', { name: 'qa', cluster: 'k3d' }, /^Unknown cluster "k3d": use --cluster=kind, --cluster=minikube, or --cluster=context:<name>/],
      ['typo of kind', { name: 'qa', cluster: 'kindd' }, /Unknown cluster "kindd"/],
      ['empty context', { name: 'qa', cluster: 'context:' }, /Invalid kube context name "" in --cluster=context:/],
      ['context with spaces', { name: 'qa', cluster: 'context:my cluster' }, /Invalid kube context name "my cluster"/],
      ['replicas 0', { name: 'qa', replicas: 0 }, /^Invalid --replicas=0: use a whole number from 1 to 20$/],
      ['replicas 21', { name: 'qa', replicas: 21 }, /Invalid --replicas=21/],
      ['replicas 1.5', { name: 'qa', replicas: 1.5 }, /Invalid --replicas=1\.5/],
      ['replicas not a number', { name: 'qa', replicas: 'two' as never }, /Invalid --replicas=two/],
      ['sqlite with 2 replicas', { name: 'qa', database: 'sqlite', replicas: 2 }, /^--replicas=2 with --database=sqlite: SQLite has one writer, so use --replicas=1 or --database=postgres$/],
      ['autoscaling with sqlite', { name: 'qa', database: 'sqlite', autoscaling: true }, /^--autoscaling with --database=sqlite: SQLite has one writer/],
      ['max-replicas below replicas', { name: 'qa', replicas: 3, maxReplicas: 2 }, /^Invalid --max-replicas=2: use a whole number from 3 to 5 \(the in-cluster PostgreSQL/],
      ['max-replicas over the PostgreSQL budget', { name: 'qa', maxReplicas: 8 }, /^Invalid --max-replicas=8: use a whole number from 1 to 5/],
      ['max-replicas without autoscaling', { name: 'qa', maxReplicas: 3, autoscaling: false }, /^--max-replicas=3 with --no-autoscaling: drop one of them$/],
      ['uppercase host', { name: 'qa', host: 'QA.example.com' }, /^Invalid host "QA\.example\.com": use a lowercase DNS name .*e\.g\. --host=/],
      ['host with scheme', { name: 'qa', host: 'http://qa.example.com' }, /Invalid host "http:\/\/qa\.example\.com"/],
      ['host with underscore', { name: 'qa', host: 'q_a.example.com' }, /Invalid host "q_a\.example\.com"/],
      ['unknown database', { name: 'qa', database: 'mysql' as never }, /^Unknown --database=mysql: use one of postgres, sqlite, external/],
      ['unknown ai', { name: 'qa', ai: 'openai' as never }, /^Unknown --ai=openai: use one of mock, groq/],
      ['bad registry', { name: 'qa', registry: 'https://Registry' }, /^Invalid registry "https:\/\/Registry": use host\[:port\]\[\/path\]/],
      ['reserved namespace', { name: 'qa', namespace: 'kube-system' }, /The namespace name "kube-system" is reserved/],
      ['namespace not a label', { name: 'qa', namespace: 'Todo.QA' }, /Invalid namespace name "Todo\.QA"/],
      ['namespace of another environment', { name: 'qa', namespace: 'todo-local' }, /^Namespace "todo-local" is already used by environment "local": pass --namespace=<another>$/],
    ];
    it.each(cases)('%s', async (_label, options, message) => {
      const committed = await committedTree();
      const before = committed.read('environments.json', 'utf-8');
      await expect(envGenerator(committed, options)).rejects.toThrow(message);
      expect(committed.listChanges()).toEqual([]);
      expect(committed.read('environments.json', 'utf-8')).toBe(before);
    });

    it('every message is one line', async () => {
      for (const [, options] of cases) {
        const committed = await committedTree();
        const error = await envGenerator(committed, options).then(() => null, (e: Error) => e);
        expect(error?.message.split('\n')).toHaveLength(1);
      }
    });

    it('no environments.json: run nx g chart first', async () => {
      const committed = await committedTree();
      committed.delete('environments.json');
      await expect(envGenerator(committed, { name: 'qa' })).rejects.toThrow(/environments\.json not found: run `npx nx g chart` first/);
    });
  });
});
