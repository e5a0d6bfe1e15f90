/* The "helm release" step on a recording cluster: the upgrade's arguments for Helm 3 and 4, when it is skipped, the synced pods, and the failures. */
import { releaseSecret, stepSuite } from '../../__tests__/deploy-workspace';
import type { DeployRun } from '../run';
import { releaseStep, upgradeArgs } from './release';

const t = stepSuite();

const ctxFor = (environment: string, helmMajor = 3) => t.run(environment, helmMajor);
const calls = () => t.cluster.calls;

const secret = releaseSecret;
const manifest = 'kind: Deployment\nmetadata:\n  name: todo-backend\n---\nkind: StatefulSet\nmetadata:\n  name: todo-postgres\n---\nkind: Service\nmetadata:\n  name: todo-backend\n';
const live = (readyBackend: number) =>
  JSON.stringify({
    items: [
      { kind: 'Deployment', metadata: { name: 'todo-backend' }, spec: { replicas: 1 }, status: { readyReplicas: readyBackend } },
      { kind: 'StatefulSet', metadata: { name: 'todo-postgres' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } },
    ],
  });

/** The digest the step puts on the upgrade it runs (on a copy of the state: the test's own is left as it was). */
async function digestFromStep(c: DeployRun): Promise<string> {
  const state = { ...t.cluster.state };
  const seen = calls().length;
  Object.assign(t.cluster.state, { secrets: JSON.stringify({ items: [] }), helmExit: 0 });
  try {
    await releaseStep.run(c);
  } finally {
    Object.assign(t.cluster.state, state);
  }
  const upgrade = calls().slice(seen).find((l) => l.startsWith('helm upgrade --install'));
  calls().splice(seen);
  return /deploy-digest=(\w+)/.exec(upgrade ?? '')![1];
}

it('Helm 3: upgrade --install with the values files, content tags, the digest as description, --wait and --atomic, without the OpenAPI question', () => {
  const c = ctxFor('local');
  const dir = t.ws.dir;
  expect(upgradeArgs(c, 'abc').join(' ')).toBe(
    `upgrade --install todo ${dir}/charts/todo --kube-context kind-todo --namespace todo-local --create-namespace ` +
      `-f ${dir}/charts/todo/values.yaml -f ${dir}/charts/todo/values-local.yaml ` +
      '--set services.backend.image.repository=todo-backend --set services.backend.image.tag=content-b1 ' +
      '--set services.frontend.image.repository=todo-frontend --set services.frontend.image.tag=content-f1 ' +
      '--description deploy-digest=abc (nx deploy-local) --wait --timeout 5m --atomic --disable-openapi-validation',
  );
});

it('Helm 4: --rollback-on-failure; a context environment; --set after the image tags', () => {
  const c = ctxFor('prod', 4);
  c.sets = ['ai.provider=groq'];
  const args = upgradeArgs(c, 'abc').join(' ');
  expect(args).toContain('--kube-context prod-admin@eks --namespace todo-prod');
  expect(args).toContain('--set services.frontend.image.tag=content-f1 --set ai.provider=groq --description deploy-digest=abc (nx deploy-prod) --wait --timeout 5m --rollback-on-failure');
  expect(args).not.toContain('--atomic');
});

it('skipped only when the deployed revision has this digest and its workloads are ready', async () => {
  const c = ctxFor('local');
  const step = releaseStep;
  t.cluster.state.secrets = JSON.stringify({ items: [] });
  expect((await step.needed(c)).reason).toMatch(/^no release todo in todo-local yet/);

  // Learn the digest the step computes, then store it on revision 2.
  const digest = await digestFromStep(c);
  t.cluster.state.secrets = JSON.stringify({ items: [secret(1, 'superseded', 'Install complete', manifest), secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
  t.cluster.state.workloads = live(1);
  expect(await step.needed(c)).toEqual({ needed: false, reason: 'revision 2 already has these chart files, values and images; 2 workloads ready' });

  t.cluster.state.workloads = live(0);
  expect((await step.needed(c)).reason).toMatch(/^revision 2 is current but Deployment todo-backend has 0\/1 ready/);

  c.images[0].record!.ref = 'todo-backend:content-b2';
  t.cluster.state.workloads = live(1);
  expect((await step.needed(c)).reason).toMatch(/^revision 2 was made from other chart files, values or images/);

  // A hand `helm upgrade` keeps the release labels but replaces the description.
  t.cluster.state.secrets = JSON.stringify({ items: [secret(3, 'deployed', 'Upgrade complete', manifest, { 'deploy-digest': digest })] });
  expect((await step.needed(c)).reason).toMatch(/^revision 3 was not made by this deploy \("Upgrade complete"\)/);

  t.cluster.state.secrets = JSON.stringify({ items: [secret(4, 'pending-upgrade', '', manifest)] });
  await expect(Promise.resolve().then(() => step.needed(c))).rejects.toThrow(/revision 4 of todo is "pending-upgrade": another Helm operation is in progress[\s\S]*fix: .*rollback-local/);
});

it('a release in another state than deployed is upgraded', async () => {
  const c = ctxFor('local');
  t.cluster.state.secrets = JSON.stringify({ items: [secret(5, 'failed', 'Upgrade "todo" failed', manifest)] });
  expect(await releaseStep.needed(c)).toEqual({ needed: true, reason: 'revision 5 is "failed": helm upgrade --install todo (Helm v3.0.0) into todo-local' });
});

it('a dry run reads nothing and only prints the upgrade', async () => {
  const c = t.run('local', 3, { dryRun: true });
  expect((await releaseStep.needed(c)).needed).toBe(true);
  expect(await releaseStep.run(c)).toBe(true);
  expect(calls()).toEqual([]);
  expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/^\$ helm upgrade --install todo .* --atomic --disable-openapi-validation {2}\(dry run\)$/));
});

it('pods with files synced by the dev loop are never taken for a clean deploy', async () => {
  const c = ctxFor('local');
  const step = releaseStep;
  t.cluster.state.secrets = JSON.stringify({ items: [] });
  await step.needed(c);
  const digest = await digestFromStep(c);
  t.cluster.state.secrets = JSON.stringify({ items: [secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
  t.cluster.state.workloads = live(1);
  const pod = (name: string, annotations: Record<string, string>) => ({ metadata: { name, uid: name, annotations, labels: { 'app.kubernetes.io/component': 'frontend' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'todo-frontend-6c9d8f7b5d' }] } });
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-abcde', { 'todo.dev/synced-at': '2026-12-06T07:00:00Z' })] });
  expect(await step.needed(c)).toEqual({
    needed: true,
    reason: 'revision 2 is current but pods todo-frontend-6c9d8f7b5d-abcde run files synced by the dev loop: restarting deployment/todo-frontend from their images',
  });
  // The dev loop's own passes keep its synced pods.
  c.options.keepSyncedPods = true;
  expect((await step.needed(c)).needed).toBe(false);
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-abcde', {})] });
  c.options.keepSyncedPods = false;
  expect((await step.needed(c)).needed).toBe(false);
});

it('a current release with synced pods restarts their workloads and waits for image-built pods, without an upgrade', async () => {
  const c = ctxFor('local');
  const digest = await digestFromStep(c);
  t.cluster.state.secrets = JSON.stringify({ items: [secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
  t.cluster.state.workloads = live(1);
  const pod = (name: string, annotations: Record<string, string>) => ({
    metadata: { name, uid: name, annotations, labels: { 'app.kubernetes.io/component': 'backend' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'todo-backend-6c9d8f7b5d' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-backend-6c9d8f7b5d-old', { 'todo.dev/synced-at': '2026-12-06T07:00:00Z' })] });
  expect((await releaseStep.needed(c)).needed).toBe(true);
  calls().length = 0;
  const running = releaseStep.run(c);
  // The replacement the restart makes: from the image, so without the marker.
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-backend-7d8e9f0a1b-new', {})] });
  await expect(running).resolves.toBe(true);
  expect(calls()).toContain(`kubectl --context kind-todo --request-timeout=20s -n todo-local rollout restart deployment/todo-backend`);
  expect(calls().filter((l) => l.startsWith('helm '))).toEqual([]);
});

it('a stale release is upgraded after one read of its Secrets (the check\'s)', async () => {
  const c = ctxFor('local');
  t.cluster.state.secrets = JSON.stringify({ items: [secret(2, 'deployed', 'deploy-digest=0000000000000000000000000000000000000000 (nx deploy-local)', manifest)] });
  t.cluster.state.workloads = live(1);
  expect((await releaseStep.needed(c)).reason).toMatch(/^revision 2 was made from other chart files, values or images/);
  await expect(releaseStep.run(c)).resolves.toBe(true);
  expect(calls().filter((l) => l.includes(' get secret '))).toHaveLength(1);
  expect(calls().filter((l) => l.startsWith('helm upgrade --install todo'))).toHaveLength(1);
});

it('after an upgrade the pods are listed again only when the check found one with the sync marker', async () => {
  const c = ctxFor('local');
  t.cluster.state.secrets = JSON.stringify({ items: [secret(2, 'deployed', 'deploy-digest=0000000000000000000000000000000000000000 (nx deploy-local)', manifest)] });
  t.cluster.state.workloads = live(1);
  const pod = (name: string, annotations: Record<string, string>) => ({
    metadata: { name, uid: name, annotations, labels: { 'app.kubernetes.io/component': 'frontend' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'todo-frontend-6c9d8f7b5d' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const podLists = () => calls().filter((l) => l.endsWith('get pods -l app.kubernetes.io/instance=todo -o json'));

  // No marked pod: listed by the check (which the read-ahead starts beside the others), not after Helm.
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-clean', {})] });
  calls().length = 0;
  expect((await releaseStep.needed(c)).needed).toBe(true);
  expect(podLists()).toHaveLength(1);
  calls().length = 0;
  await expect(releaseStep.run(c)).resolves.toBe(true);
  expect(calls().filter((l) => l.startsWith('helm upgrade --install todo'))).toHaveLength(1);
  expect(podLists()).toHaveLength(0);

  // A marked pod the upgrade does not replace: listed again after Helm, its workload restarted.
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-synced', { 'todo.dev/synced-at': '2026-12-06T07:00:00Z' })] });
  await releaseStep.needed(c);
  calls().length = 0;
  const running = releaseStep.run(c);
  await new Promise((r) => setTimeout(r, 200));
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-7d8e9f0a1b-new', {})] });
  await expect(running).resolves.toBe(true);
  expect(calls()).toContain('kubectl --context kind-todo --request-timeout=20s -n todo-local rollout restart deployment/todo-frontend');
  expect(podLists().length).toBeGreaterThanOrEqual(2); // after Helm, and the wait for the replacement

  // Unknown (run without the check): listed after Helm as before.
  const fresh = ctxFor('local');
  t.cluster.state.pods = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-clean', {})] });
  calls().length = 0;
  await expect(releaseStep.run(fresh)).resolves.toBe(true);
  expect(podLists()).toHaveLength(1);
});

it('a failed upgrade names the rollback and the fix', async () => {
  const c = ctxFor('local');
  const step = releaseStep;
  t.cluster.state.secrets = JSON.stringify({ items: [] });
  await step.needed(c);
  t.cluster.state.helmExit = 1;
  await expect(Promise.resolve().then(() => step.run(c))).rejects.toThrow(/helm upgrade failed \(first install: nothing to roll back to\)/);
});

it('a failed upgrade after which Helm rolled back says so, and shows the pods', async () => {
  const c = ctxFor('local');
  t.cluster.state.secrets = JSON.stringify({ items: [secret(2, 'deployed', 'deploy-digest=0000000000000000000000000000000000000000 (nx deploy-local)', manifest)] });
  t.cluster.state.workloads = live(1);
  await releaseStep.needed(c);
  t.cluster.state.helmExit = 1;
  t.cluster.state.helmStderr = 'Error: UPGRADE FAILED: context deadline exceeded';
  // Helm's rollback is revision 3, the previous release's manifests.
  t.cluster.state.override = (line) => (line.startsWith('helm upgrade') ? undefined : line.includes('get secret') ? { stdout: JSON.stringify({ items: [secret(3, 'deployed', 'Rollback to 2', manifest)] }) } : line.endsWith('get pods -o wide') ? { stdout: 'NAME READY\ntodo-backend-x 0/1\n' } : undefined);
  const err = await Promise.resolve().then(() => releaseStep.run(c)).catch((e) => e);
  expect(err.cause).toBe('the upgrade failed and Helm rolled back (now revision 3, the previous release\'s manifests): Error: UPGRADE FAILED: context deadline exceeded');
  expect(err.fix).toMatch(/^look at the pods above .*ImagePullBackOff/);
  expect(console.error).toHaveBeenCalledWith('NAME READY\ntodo-backend-x 0/1');
});

it('values the chart refuses point at the values files, not at the pods', async () => {
  const c = ctxFor('local');
  const step = releaseStep;
  t.cluster.state.secrets = JSON.stringify({ items: [] });
  await step.needed(c);
  t.cluster.state.helmExit = 1;
  t.cluster.state.helmStderr = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo:\n- services.backend.replicaCount: Invalid type. Expected: integer, given: string";
  await expect(Promise.resolve().then(() => step.run(c))).rejects.toThrow(/replicaCount: Invalid type[\s\S]*fix: the chart refused the values .*charts\/todo\/values-local\.yaml/);
  expect(calls().some((l) => l.includes('get pods'))).toBe(false);
});
