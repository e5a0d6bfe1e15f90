/* The "namespace" step on a recording cluster: created, labelled, or skipped; the manifest it applies. */
import { stepSuite } from '../../__tests__/deploy-workspace';
import { namespaceStep } from './namespace';

const t = stepSuite();

const labelled = (enforce?: string) => JSON.stringify({ metadata: { name: 'todo-local', labels: enforce ? { 'pod-security.kubernetes.io/enforce': enforce } : {} } });

it('skipped when the namespace exists with restricted Pod Security, labelled when not, created when missing', async () => {
  const c = t.run('local');
  expect(await namespaceStep.needed(c)).toEqual({ needed: true, reason: 'create namespace todo-local' });
  t.cluster.state.namespaceJson = labelled('baseline');
  expect(await namespaceStep.needed(c)).toEqual({ needed: true, reason: 'label namespace todo-local for restricted Pod Security' });
  t.cluster.state.namespaceJson = labelled('restricted');
  expect(await namespaceStep.needed(c)).toEqual({ needed: false, reason: 'namespace todo-local exists with restricted Pod Security' });
  t.cluster.state.override = (line) => (line.includes('get namespace') ? { status: 1, stderr: 'error: You must be logged in to the server (Unauthorized)\n' } : undefined);
  expect(await namespaceStep.needed(c)).toEqual({ needed: true, reason: 'cannot read namespace todo-local: error: You must be logged in to the server (Unauthorized)' });
  expect(t.cluster.calls[0]).toBe('kubectl --context kind-todo --request-timeout=20s get namespace todo-local -o json');
});

it('applies the rendered namespace on the environment\'s context, printing the command', async () => {
  const c = t.run('local');
  expect(await namespaceStep.run(c)).toBe(true);
  expect(t.cluster.calls).toEqual(['kubectl --context kind-todo apply -f -']);
  const manifest = t.cluster.inputs.get(0)!;
  expect(manifest).toMatch(/kind: Namespace[\s\S]*name: todo-local[\s\S]*pod-security.kubernetes.io\/enforce: restricted/);
  expect(console.log).toHaveBeenCalledWith('$ kubectl --context kind-todo apply -f -');
  t.cluster.state.override = () => ({ status: 1 });
  expect(await namespaceStep.run(c)).toBe(false);
});

it('a dry run prints the command and the manifest, and runs nothing', async () => {
  const c = t.run('local', 3, { dryRun: true });
  expect(await namespaceStep.needed(c)).toEqual({ needed: true, reason: 'ensure namespace todo-local (dry run: not checked)' });
  expect(await namespaceStep.run(c)).toBe(true);
  expect(t.cluster.calls).toEqual([]);
  expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/^\$ kubectl --context kind-todo apply -f - <<EOF\n[\s\S]*name: todo-local[\s\S]*\nEOF {2}\(dry run\)$/));
});
