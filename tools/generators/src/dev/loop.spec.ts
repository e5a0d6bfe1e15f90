/* A dev loop's passes on the session's DeployRun, over a recording cluster: a chart change upgrades the release, each pass on the same run. */
import { stepSuite } from '../__tests__/deploy-workspace';
import type { ChangePlan, Classifier } from './classify';
import { DevLoop } from './loop';

const t = stepSuite();

/** Every file of a batch is a chart change. */
const chartOnly = { classify: (batch: Map<string, string>): ChangePlan => ({ sync: new Map(), rebuild: new Map(), install: new Map(), upgrade: [...batch.keys()], ignored: [] }) } as unknown as Classifier;

it('chart changes: each pass upgrades the release on the session\'s run, keeping its synced pods; a failed pass is reported and the next one runs', async () => {
  const run = t.run('local');
  const tools = run.tools;
  t.cluster.state.secrets = JSON.stringify({ items: [] });
  const said: string[] = [];
  const loop = new DevLoop({ run, classifier: chartOnly, children: undefined as never, kube: undefined as never, rules: new Map(), say: (l) => said.push(l), stepLog: () => undefined, debounceMs: 10 });

  await loop.pass(new Map([['charts/todo/values.yaml', 'update']]));
  expect(run.options.keepSyncedPods).toBe(true);
  expect(t.cluster.calls.filter((l) => l.startsWith('helm upgrade --install todo'))).toHaveLength(1);
  // keepSyncedPods: the loop's own synced pods are not looked for, let alone restarted.
  expect(t.cluster.calls.some((l) => l.includes('get pods'))).toBe(false);

  t.cluster.state.helmExit = 1;
  await loop.pass(new Map([['charts/todo/values-local.yaml', 'update']]));
  expect(said.some((l) => /✗ helm upgrade \(charts\/todo\/values-local\.yaml\) failed after [\s\S]*helm upgrade failed \(first install: nothing to roll back to\)/.test(l))).toBe(true);

  t.cluster.state.helmExit = 0;
  await loop.pass(new Map([['charts/todo/templates/a.yaml', 'update']]));
  expect(t.cluster.calls.filter((l) => l.startsWith('helm upgrade --install todo'))).toHaveLength(3);
  expect(run.tools).toBe(tools); // found once, for the session
  expect(said.filter((l) => l.startsWith('pass '))).toEqual(expect.arrayContaining([expect.stringMatching(/^pass 3 done in \d+\.\ds: http:\/\/todo\.localhost\/$/)]));
});
