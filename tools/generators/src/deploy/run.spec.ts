/* DeployRun: what it derives from the options once, what it refuses, and how its commands go through the run's runner. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stepSuite } from '../__tests__/deploy-workspace';
import { DeployRun } from './run';

const t = stepSuite();

it('KIND_CLUSTER_NAME picks the kind cluster and its context', () => {
  process.env.KIND_CLUSTER_NAME = 'other';
  try {
    const c = new DeployRun({ environment: 'local' }, t.ws.context);
    expect([c.cluster.name, c.kubeContext]).toEqual(['other', 'kind-other']);
  } finally {
    delete process.env.KIND_CLUSTER_NAME;
  }
});

it('values files: --values in order after the environment\'s, a missing one refused before anything runs', () => {
  writeFileSync(join(t.ws.dir, 'extra.yaml'), 'a: 1\n');
  const c = new DeployRun({ environment: 'dev', values: ['extra.yaml'], set: ['a=2'], timeout: '9m', localRegistry: false }, t.ws.context);
  expect(c.valuesFiles).toEqual(['values.yaml', 'values-dev.yaml'].map((f) => join(t.ws.dir, 'charts/todo', f)).concat(join(t.ws.dir, 'extra.yaml')));
  expect([c.sets, c.timeout, c.kind?.name, c.registry]).toEqual([['a=2'], '9m', 'todo', '']);
  expect(() => new DeployRun({ environment: 'dev', values: ['nope.yaml'] }, t.ws.context)).toThrow(`Values file ${join(t.ws.dir, 'nope.yaml')} (--values) does not exist`);
  rmSync(join(t.ws.dir, 'charts/todo/values-dev.yaml'));
  try {
    expect(() => new DeployRun({ environment: 'dev' }, t.ws.context)).toThrow(/charts\/todo\/values-dev\.yaml is missing[\s\S]*re-create it with `npx nx g chart`/);
  } finally {
    writeFileSync(join(t.ws.dir, 'charts/todo/values-dev.yaml'), 'database:\n  mode: postgres\n');
  }
});

it('stream: prints the command, runs it on the terminal through the runner, and names a binary that cannot start', () => {
  const seen: string[] = [];
  const c = new DeployRun({ environment: 'local' }, t.ws.context, {
    runner: (cmd, args, opts) => (seen.push(`${cmd} ${args.join(' ')} inherit=${opts?.inherit}`), cmd === 'nope' ? { status: 127, stdout: '', stderr: 'spawnSync nope ENOENT' } : { status: 3, stdout: '', stderr: '' }),
  });
  expect(c.stream('docker', ['push', 'x:1'])).toBe(3);
  expect(c.stream('nope', [])).toBe(127);
  expect(seen).toEqual(['docker push x:1 inherit=true', 'nope  inherit=true']);
  expect(console.log).toHaveBeenCalledWith('$ docker push x:1');
  expect(console.error).toHaveBeenCalledWith('nope: spawnSync nope ENOENT');
});

it('the kind nodes are listed once; a failing listing names the fix', () => {
  const c = t.run('local');
  expect([c.nodes(), c.nodes()]).toEqual([['todo-control-plane'], ['todo-control-plane']]);
  expect(t.cluster.calls).toEqual(['kind get nodes --name todo']);
  const d = t.run('local');
  t.cluster.state.override = () => ({ status: 1, stderr: 'ERROR: unknown cluster "todo"\n' });
  expect(() => d.nodes()).toThrow(/`kind get nodes` failed: ERROR: unknown cluster "todo"[\s\S]*cluster-status/);
});

it("kind's local registry is the default: the cluster gets it, images are pushed there under the chart's prefix; off by option, variable, or an old cluster", () => {
  const saved = { ...process.env };
  try {
    delete process.env.TODO_LOCAL_REGISTRY;
    process.env.KIND_REGISTRY_PORT = '15999';
    const c = new DeployRun({ environment: 'local', set: ['a=b'] }, t.ws.context);
    expect([c.registry, c.kind?.registry, c.localRegistry?.hostPort, c.sets]).toEqual(['localhost:15999', true, 15999, ['global.imageRegistry=localhost:15999', 'a=b']]);
    // A cluster created without it (containerd's config_path is set only at creation): back to kind load.
    c.withoutLocalRegistry();
    expect([c.registry, c.kind?.registry, c.localRegistry, c.sets]).toEqual(['', false, undefined, ['a=b']]);
    expect(new DeployRun({ environment: 'local', localRegistry: false }, t.ws.context).registry).toBe('');
    process.env.TODO_LOCAL_REGISTRY = 'false';
    expect(new DeployRun({ environment: 'local' }, t.ws.context).kind?.registry).toBe(false);
    expect(new DeployRun({ environment: 'local', localRegistry: true }, t.ws.context).registry).toBe('localhost:15999');
    // An existing cluster (a kube context) has no local registry of ours.
    delete process.env.TODO_LOCAL_REGISTRY;
    expect(new DeployRun({ environment: 'prod' }, t.ws.context).registry).toBe('');
  } finally {
    process.env = saved;
  }
});
