/*
 * The environment executors, against recording stand-ins for helm and kubectl: the exact commands
 * for Helm 3 and Helm 4, the namespace step's skip logic, and the errors.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import deployExecutor from '../executors/deploy/executor';
import { DeployRun, buildStep, containerdNames, loadStep, releaseStep, runSteps, upgradeArgs } from '../deploy';
import type { ImageRecord } from '../images/docker';
import { decodeRelease } from '../release/stored';
import rollbackExecutor from '../executors/rollback/executor';
import statusExecutor from '../executors/status/executor';
import uninstallExecutor from '../executors/uninstall/executor';
import { parseHelmVersion, rollbackOnFailureFlag } from '@todo/cluster';
import { seedConfig, serializeConfig } from '../platform/config';

const dir = mkdtempSync(join(tmpdir(), 'executors-'));
const log = join(dir, 'calls.log');

function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const helm = fake('helm', `if [ "$1" = version ]; then printf '%s' "$FAKE_HELM_VERSION"; exit 0; fi\n[ -z "$FAKE_HELM_STDERR" ] || printf '%s\\n' "$FAKE_HELM_STDERR" >&2\nexit "\${FAKE_HELM_EXIT:-0}"`);
const kubectl = fake(
  'kubectl',
  `case "$*" in
  *"get namespace"*) if [ -n "$FAKE_NS_JSON" ]; then echo "$FAKE_NS_JSON"; else echo 'Error from server (NotFound): namespaces "x" not found' >&2; exit 1; fi ;;
  *"get secret -l owner=helm"*) echo "$FAKE_SECRETS" ;;
  *"get deployment,statefulset"*|*"get statefulset,deployment"*) echo "$FAKE_WORKLOADS" ;;
  *"get pods -l app.kubernetes.io/instance=todo -o json"*) if [ -n "$FAKE_PODS" ]; then echo "$FAKE_PODS"; else echo '{"items": []}'; fi ;;
  *"apply -f -"*) cat >> "${log}" ;;
  *"get --raw /apis/metrics.k8s.io/v1beta1/nodes"*) [ -n "$FAKE_METRICS" ] || { echo 'Error from server (NotFound): the server could not find the requested resource' >&2; exit 1; } ;;
  *"get --raw /apis/metrics.k8s.io"*) echo "$FAKE_METRICS" ;;
  *"get hpa"*) echo '{"items": []}' ;;
esac`,
);
const docker = fake('docker', `case "$*" in *"crictl images"*) echo "$FAKE_CRICTL" ;; "image inspect"*) echo "\${FAKE_INSPECT:-[]}" ;; esac`);
const kind = fake('kind', `case "$*" in "get nodes"*) echo todo-control-plane ;; esac`);

const context = { root: dir, cwd: dir, isVerbose: false } as unknown as ExecutorContext;
const calls = () => readFileSync(log, 'utf8').trim().split('\n');

beforeAll(() => {
  const config = seedConfig();
  config.environments.prod = { cluster: 'context:prod-admin@eks', namespace: 'todo-prod', host: 'todo.example.com', replicas: 2, database: 'external', ai: 'mock' };
  writeFileSync(join(dir, 'environments.json'), serializeConfig(config));
  // A minimal chart and image projects: what the deploy context reads.
  mkdirSync(join(dir, 'charts/todo/templates'), { recursive: true });
  writeFileSync(join(dir, 'charts/todo/Chart.yaml'), 'apiVersion: v2\nname: todo\nversion: 0.1.0\n');
  writeFileSync(join(dir, 'charts/todo/templates/a.yaml'), 'kind: ConfigMap\n');
  for (const f of ['values', 'values-local', 'values-dev', 'values-prod']) writeFileSync(join(dir, `charts/todo/${f}.yaml`), 'database:\n  mode: postgres\n');
  for (const s of ['backend', 'frontend']) {
    mkdirSync(join(dir, `apps/${s}-image`), { recursive: true });
    writeFileSync(join(dir, `apps/${s}-image/project.json`), JSON.stringify({ targets: { 'docker-build': { options: { image: `todo-${s}`, dockerfile: `apps/${s}-image/Dockerfile` } } } }));
  }
});

beforeEach(() => {
  writeFileSync(log, '');
  process.env.HELM = helm;
  process.env.KUBECTL = kubectl;
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  process.env.FAKE_HELM_VERSION = 'v3.22.0';
  delete process.env.FAKE_NS_JSON;
  delete process.env.FAKE_HELM_EXIT;
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('deploy', () => {
  // A DeployRun over the temp workspace, with the recording stand-ins as tools.
  function ctxFor(environment: string, helmMajor = 3): DeployRun {
    const c = deployContextFor(environment);
    c.tools = { docker, kubectl, kind, helm: { bin: helm, major: helmMajor, version: `v${helmMajor}.0.0` } };
    c.images[0].record = { image: 'todo-backend', ref: 'todo-backend:content-b1', contentTag: 'content-b1', id: 'sha256:bbbb000000001111' } as ImageRecord;
    c.images[1].record = { image: 'todo-frontend', ref: 'todo-frontend:content-f1', contentTag: 'content-f1', id: 'sha256:ffff000000001111' } as ImageRecord;
    return c;
  }
  function deployContextFor(environment: string): DeployRun {
    return new DeployRun({ environment }, context);
  }
  const secret = (version: number, status: string, description: string, manifest: string, labels: Record<string, string> = {}) => ({
    metadata: { labels: { owner: 'helm', name: 'todo', version: String(version), status, ...labels } },
    data: { release: Buffer.from(gzipSync(JSON.stringify({ manifest, info: { description } })).toString('base64')).toString('base64') },
  });
  const manifest = 'kind: Deployment\nmetadata:\n  name: todo-backend\n---\nkind: StatefulSet\nmetadata:\n  name: todo-postgres\n---\nkind: Service\nmetadata:\n  name: todo-backend\n';
  const live = (readyBackend: number) =>
    JSON.stringify({
      items: [
        { kind: 'Deployment', metadata: { name: 'todo-backend' }, spec: { replicas: 1 }, status: { readyReplicas: readyBackend } },
        { kind: 'StatefulSet', metadata: { name: 'todo-postgres' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } },
      ],
    });

  it('Helm 3: upgrade --install with the values files, content tags, the digest as description, --wait and --atomic', () => {
    const c = ctxFor('local');
    expect(upgradeArgs(c, 'abc').join(' ')).toBe(
      `upgrade --install todo ${dir}/charts/todo --kube-context kind-todo --namespace todo-local --create-namespace ` +
        `-f ${dir}/charts/todo/values.yaml -f ${dir}/charts/todo/values-local.yaml ` +
        '--set services.backend.image.repository=todo-backend --set services.backend.image.tag=content-b1 ' +
        '--set services.frontend.image.repository=todo-frontend --set services.frontend.image.tag=content-f1 ' +
        '--description deploy-digest=abc (nx deploy-local) --wait --timeout 5m --atomic',
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

  it('KIND_CLUSTER_NAME picks the kind cluster and its context', () => {
    process.env.KIND_CLUSTER_NAME = 'other';
    try {
      const c = deployContextFor('local');
      expect([c.cluster.name, c.kubeContext]).toEqual(['other', 'kind-other']);
    } finally {
      delete process.env.KIND_CLUSTER_NAME;
    }
  });

  it('helm release: skipped only when the deployed revision has this digest and its workloads are ready', async () => {
    const c = ctxFor('local');
    const step = releaseStep;
    process.env.FAKE_SECRETS = JSON.stringify({ items: [] });
    expect((await step.needed(c)).reason).toMatch(/^no release todo in todo-local yet/);

    // Learn the digest the step computes, then store it on revision 2.
    const digest = /deploy-digest=(\w+)/.exec(upgradeArgsFromStep(c, step))![1];
    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(1, 'superseded', 'Install complete', manifest), secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
    process.env.FAKE_WORKLOADS = live(1);
    expect(await step.needed(c)).toEqual({ needed: false, reason: 'revision 2 already has these chart files, values and images; 2 workloads ready' });

    process.env.FAKE_WORKLOADS = live(0);
    expect((await step.needed(c)).reason).toMatch(/^revision 2 is current but Deployment todo-backend has 0\/1 ready/);

    c.images[0].record!.ref = 'todo-backend:content-b2';
    process.env.FAKE_WORKLOADS = live(1);
    expect((await step.needed(c)).reason).toMatch(/^revision 2 was made from other chart files, values or images/);

    // A hand `helm upgrade` keeps the release labels but replaces the description.
    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(3, 'deployed', 'Upgrade complete', manifest, { 'deploy-digest': digest })] });
    expect((await step.needed(c)).reason).toMatch(/^revision 3 was not made by this deploy \("Upgrade complete"\)/);

    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(4, 'pending-upgrade', '', manifest)] });
    await expect(Promise.resolve().then(() => step.needed(c))).rejects.toThrow(/revision 4 of todo is "pending-upgrade": another Helm operation is in progress[\s\S]*fix: .*rollback-local/);
  });

  it('helm release: pods with files synced by the dev loop are never taken for a clean deploy', async () => {
    const c = ctxFor('local');
    const step = releaseStep;
    process.env.FAKE_SECRETS = JSON.stringify({ items: [] });
    await step.needed(c);
    const digest = /deploy-digest=(\w+)/.exec(upgradeArgsFromStep(c, step))![1];
    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
    process.env.FAKE_WORKLOADS = live(1);
    const pod = (name: string, annotations: Record<string, string>) => ({ metadata: { name, uid: name, annotations, labels: { 'app.kubernetes.io/component': 'frontend' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'todo-frontend-6c9d8f7b5d' }] } });
    process.env.FAKE_PODS = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-abcde', { 'todo.dev/synced-at': '2026-12-06T07:00:00Z' })] });
    try {
      expect(await step.needed(c)).toEqual({
        needed: true,
        reason: 'revision 2 is current but pods todo-frontend-6c9d8f7b5d-abcde run files synced by the dev loop: restarting deployment/todo-frontend from their images',
      });
      // The dev loop's own passes keep its synced pods.
      c.options.keepSyncedPods = true;
      expect((await step.needed(c)).needed).toBe(false);
      process.env.FAKE_PODS = JSON.stringify({ items: [pod('todo-frontend-6c9d8f7b5d-abcde', {})] });
      c.options.keepSyncedPods = false;
      expect((await step.needed(c)).needed).toBe(false);
    } finally {
      delete process.env.FAKE_PODS;
    }
  });

  it('helm release: a current release with synced pods restarts their workloads and waits for image-built pods, without an upgrade', async () => {
    const c = ctxFor('local');
    process.env.FAKE_SECRETS = JSON.stringify({ items: [] });
    const digest = /deploy-digest=(\w+)/.exec(upgradeArgsFromStep(c, releaseStep))![1];
    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(2, 'deployed', `deploy-digest=${digest} (nx deploy-local)`, manifest)] });
    process.env.FAKE_WORKLOADS = live(1);
    const pod = (name: string, annotations: Record<string, string>) => ({
      metadata: { name, uid: name, annotations, labels: { 'app.kubernetes.io/component': 'backend' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'todo-backend-6c9d8f7b5d' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    process.env.FAKE_PODS = JSON.stringify({ items: [pod('todo-backend-6c9d8f7b5d-old', { 'todo.dev/synced-at': '2026-12-06T07:00:00Z' })] });
    try {
      expect((await releaseStep.needed(c)).needed).toBe(true);
      writeFileSync(log, '');
      const running = releaseStep.run(c);
      // The replacement the restart makes: from the image, so without the marker.
      process.env.FAKE_PODS = JSON.stringify({ items: [pod('todo-backend-7d8e9f0a1b-new', {})] });
      await expect(running).resolves.toBe(true);
      expect(calls()).toContain(`kubectl --context kind-todo --request-timeout=20s -n todo-local rollout restart deployment/todo-backend`);
      expect(calls().filter((l) => l.startsWith('helm '))).toEqual([]);
    } finally {
      delete process.env.FAKE_PODS;
    }
  });

  it('helm release: a stale release is upgraded after one read of its Secrets (the check\'s)', async () => {
    const c = ctxFor('local');
    process.env.FAKE_SECRETS = JSON.stringify({ items: [secret(2, 'deployed', 'deploy-digest=0000000000000000000000000000000000000000 (nx deploy-local)', manifest)] });
    process.env.FAKE_WORKLOADS = live(1);
    writeFileSync(log, '');
    expect((await releaseStep.needed(c)).reason).toMatch(/^revision 2 was made from other chart files, values or images/);
    await expect(releaseStep.run(c)).resolves.toBe(true);
    expect(calls().filter((l) => l.includes(' get secret '))).toHaveLength(1);
    expect(calls().filter((l) => l.startsWith('helm upgrade --install todo'))).toHaveLength(1);
  });

  it('helm release: a failed upgrade names the rollback and the fix', async () => {
    const c = ctxFor('local');
    const step = releaseStep;
    process.env.FAKE_SECRETS = JSON.stringify({ items: [] });
    await step.needed(c);
    process.env.FAKE_HELM_EXIT = '1';
    await expect(Promise.resolve().then(() => step.run(c))).rejects.toThrow(/helm upgrade failed \(first install: nothing to roll back to\)/);
  });

  it('helm release: values the chart refuses point at the values files, not at the pods', async () => {
    const c = ctxFor('local');
    const step = releaseStep;
    process.env.FAKE_SECRETS = JSON.stringify({ items: [] });
    await step.needed(c);
    process.env.FAKE_HELM_EXIT = '1';
    process.env.FAKE_HELM_STDERR = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo:\n- services.backend.replicaCount: Invalid type. Expected: integer, given: string";
    try {
      await expect(Promise.resolve().then(() => step.run(c))).rejects.toThrow(/replicaCount: Invalid type[\s\S]*fix: the chart refused the values .*charts\/todo\/values-local\.yaml/);
      expect(calls().some((l) => l.includes('get pods'))).toBe(false);
    } finally {
      delete process.env.FAKE_HELM_STDERR;
    }
  });

  it('load: skipped when the node has the image id under its name, kind load otherwise', async () => {
    const c = ctxFor('local');
    const step = loadStep(c.images[0]);
    process.env.FAKE_CRICTL = JSON.stringify({ images: [{ id: 'sha256:bbbb000000001111', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
    expect(await step.needed(c)).toEqual({ needed: false, reason: 'the node already has todo-backend:content-b1 (bbbb00000000)' });
    c.forgetNodeImages();
    process.env.FAKE_CRICTL = JSON.stringify({ images: [{ id: 'sha256:0ld', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
    expect((await step.needed(c)).reason).toBe('node todo-control-plane lacks todo-backend:content-b1 (bbbb00000000): kind load');
    expect(await step.run(c)).toBe(true);
    expect(calls()).toContain('kind load docker-image todo-backend:content-b1 --name todo');
  });

  it('a skipped build asks the Docker daemon about its content tag once, and the load step records it from that answer', async () => {
    const c = ctxFor('local');
    const image = c.images[0];
    image.record = undefined;
    image.plan = {
      image: 'todo-backend', environment: 'local', key: 'b1', files: 1, tags: ['content-b1'], contentRef: 'todo-backend:content-b1',
      buildArgs: {}, keyArgs: {}, baseImages: {}, contextPaths: [],
    };
    process.env.FAKE_INSPECT = JSON.stringify([{ Id: 'sha256:bbbb000000001111', RepoTags: ['todo-backend:content-b1'], Size: 1000 }]);
    process.env.FAKE_CRICTL = JSON.stringify({ images: [{ id: 'sha256:bbbb000000001111', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
    try {
      expect(await buildStep(image).needed(c)).toEqual({ needed: false, reason: 'todo-backend:content-b1 is in the Docker daemon (its inputs are unchanged)' });
      expect(await loadStep(image).needed(c)).toEqual({ needed: false, reason: 'the node already has todo-backend:content-b1 (bbbb00000000)' });
      expect(calls().filter((l) => l === 'docker image inspect todo-backend:content-b1')).toHaveLength(1);
      expect(JSON.parse(readFileSync(join(dir, 'dist/images/backend-image.json'), 'utf8'))).toMatchObject({ ref: 'todo-backend:content-b1', id: 'sha256:bbbb000000001111', built: false });
    } finally {
      delete process.env.FAKE_INSPECT;
    }
  });

  it('load: an existing cluster without a registry cannot get our images, and says what to do', async () => {
    const c = ctxFor('prod');
    await expect(Promise.resolve().then(() => loadStep(c.images[0]).needed(c))).rejects.toThrow(/npx nx g env prod --force --cluster=context:prod-admin@eks --registry=<registry>/);
  });

  it('registry environment: push unless the registry already has this image digest under the tag', async () => {
    // A registry stand-in on loopback answering HEAD /v2/<repo>/manifests/<tag> with a digest.
    let digest = 'sha256:aaaa';
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/v2/todo-backend/manifests/content-b1' ? 200 : 404, { 'docker-content-digest': digest });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const c = ctxFor('local');
      c.registry = `localhost:${port}`;
      process.env.FAKE_INSPECT = JSON.stringify([{ Id: 'sha256:bbbb', RepoTags: [], RepoDigests: [`localhost:${port}/todo-backend@sha256:aaaa`] }]);
      const step = loadStep(c.images[0]);
      expect(await step.needed(c)).toEqual({ needed: false, reason: `localhost:${port}/todo-backend:content-b1 is in the registry with this image's digest` });
      digest = 'sha256:cccc'; // the registry holds another image under that tag
      expect(await step.needed(c)).toEqual({ needed: true, reason: `push localhost:${port}/todo-backend:content-b1 to localhost:${port}` });
      expect(await step.run(c)).toBe(true);
      expect(calls()).toEqual(expect.arrayContaining([`docker tag todo-backend:content-b1 localhost:${port}/todo-backend:content-b1`, `docker push localhost:${port}/todo-backend:content-b1`]));
    } finally {
      server.close();
      delete process.env.FAKE_INSPECT;
    }
  });

  it('containerd names of Docker references', () => {
    expect(containerdNames('todo-backend:c1')).toEqual(['todo-backend:c1', 'docker.io/library/todo-backend:c1']);
    expect(containerdNames('team/app:1')).toEqual(['team/app:1', 'docker.io/team/app:1']);
    expect(containerdNames('localhost:5001/app:1')).toEqual(['localhost:5001/app:1']);
  });

  it('decodeRelease reads the workloads of a stored release', () => {
    expect(decodeRelease(secret(7, 'deployed', 'Rollback to 5', manifest, { a: 'b' }))).toEqual({
      revision: 7,
      status: 'deployed',
      labels: expect.objectContaining({ a: 'b' }),
      description: 'Rollback to 5',
      workloads: [
        { kind: 'Deployment', name: 'todo-backend' },
        { kind: 'StatefulSet', name: 'todo-postgres' },
      ],
    });
  });

  it('unknown environment: names the known ones and the fix', async () => {
    await expect(deployExecutor({ environment: 'qa' }, context)).resolves.toEqual({ success: false });
    expect(console.error).toHaveBeenCalledWith('deploy: Unknown environment "qa"; environments.json has: local, dev, prod (add one with `npx nx g env qa`)');
  });

  it('a service without its image project: names it and the generator that makes it', async () => {
    rmSync(join(dir, 'apps/backend-image/project.json'));
    await expect(deployExecutor({ environment: 'local' }, { ...context, projectsConfigurations: { version: 2, projects: {} } } as ExecutorContext)).resolves.toEqual({ success: false });
    expect(console.error).toHaveBeenCalledWith(expect.stringContaining('Service "backend" has no image project: apps/backend-image/project.json with a docker-build target is missing. Re-create it with `npx nx g service backend`'));
    writeFileSync(join(dir, 'apps/backend-image/project.json'), JSON.stringify({ targets: { 'docker-build': { options: { image: 'todo-backend', dockerfile: 'x' } } } }));
  });
});

/** The upgrade command the release step would run (its needed() computes the digest). */
function upgradeArgsFromStep(c: DeployRun, step: typeof releaseStep): string {
  const seen: string[] = [];
  const orig = process.env.FAKE_HELM_EXIT;
  process.env.FAKE_HELM_EXIT = '0';
  try {
    // run() prints the command before anything else; capture it.
    const spy = jest.spyOn(console, 'log').mockImplementation((l: string) => void seen.push(l));
    (step.run(c) as boolean);
    spy.mockRestore();
  } finally {
    process.env.FAKE_HELM_EXIT = orig;
  }
  return seen.find((l) => l.includes('upgrade --install')) ?? '';
}

describe('status, rollback, uninstall', () => {
  it('status: helm status, then the pods, then their load and the autoscalers', async () => {
    await expect(statusExecutor({ environment: 'dev' }, context)).resolves.toEqual({ success: true });
    expect(calls()).toEqual(
      expect.arrayContaining([
        'helm status todo --kube-context kind-todo --namespace todo-dev',
        'kubectl --context kind-todo --namespace todo-dev get pods -l app.kubernetes.io/instance=todo -o wide',
        'kubectl --context kind-todo --namespace todo-dev get pods -l app.kubernetes.io/instance=todo -o json',
        'kubectl --context kind-todo --namespace todo-dev get hpa -l app.kubernetes.io/instance=todo -o json',
      ]),
    );
  });

  it('status on a cluster without a metrics API: says so, still succeeds; with one, asks it for the release\'s pods', async () => {
    const printed: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((l: string) => void printed.push(l));
    await expect(statusExecutor({ environment: 'dev' }, context)).resolves.toEqual({ success: true });
    expect(printed.join('\n')).toMatch(/no metrics API on this cluster/);
    expect(calls().some((c) => c.includes('/namespaces/todo-dev/pods?'))).toBe(false);
    process.env.FAKE_METRICS = '{"items": []}';
    try {
      await statusExecutor({ environment: 'dev' }, context);
    } finally {
      delete process.env.FAKE_METRICS;
    }
    expect(calls()).toContain('kubectl --context kind-todo --namespace todo-dev get --raw /apis/metrics.k8s.io/v1beta1/namespaces/todo-dev/pods?labelSelector=app.kubernetes.io%2Finstance%3Dtodo');
  });

  it('rollback: previous revision by default, or the one given', async () => {
    await rollbackExecutor({ environment: 'local' }, context);
    await rollbackExecutor({ environment: 'local', revision: 3 }, context);
    expect(calls().filter((l) => l.startsWith('helm rollback'))).toEqual([
      'helm rollback todo --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
      'helm rollback todo 3 --kube-context kind-todo --namespace todo-local --wait --timeout 5m',
    ]);
  });

  it('CLUSTER_KUBECONFIG (where cluster-up keeps the kind context) reaches helm and kubectl of kind environments only', async () => {
    process.env.CLUSTER_KUBECONFIG = '/tmp/kind-kubeconfig';
    try {
      await statusExecutor({ environment: 'local' }, context);
      await rollbackExecutor({ environment: 'prod' }, context);
    } finally {
      delete process.env.CLUSTER_KUBECONFIG;
    }
    expect(calls()).toEqual(
      expect.arrayContaining([
        'helm status todo --kubeconfig /tmp/kind-kubeconfig --kube-context kind-todo --namespace todo-local',
        'kubectl --kubeconfig /tmp/kind-kubeconfig --context kind-todo --namespace todo-local get pods -l app.kubernetes.io/instance=todo -o wide',
        'helm rollback todo --kube-context prod-admin@eks --namespace todo-prod --wait --timeout 5m',
      ]),
    );
  });

  it('uninstall', async () => {
    await uninstallExecutor({ environment: 'local', release: 'todo-x' }, context);
    expect(calls()).toContain('helm uninstall todo-x --kube-context kind-todo --namespace todo-local --wait --timeout 5m');
  });
});

describe('helpers', () => {
  it.each([
    ['v3.22.0', 3, 'v3.22.0'],
    ['v3.22', 3, 'v3.22'],
    ['v4.3.1', 4, 'v4.3.1'],
    ['4.0.0-rc.1', 4, 'v4.0.0'],
  ])('parseHelmVersion(%s)', (out, major, version) => {
    expect(parseHelmVersion(out)).toEqual({ major, version });
  });
  it('parseHelmVersion rejects garbage', () => expect(() => parseHelmVersion('dev')).toThrow(/Cannot read the Helm version/));
  it('rollback flag by major', () => {
    expect(rollbackOnFailureFlag({ bin: 'h', major: 3, version: 'v3.22.0' })).toBe('--atomic');
    expect(rollbackOnFailureFlag({ bin: 'h', major: 4, version: 'v4.3.1' })).toBe('--rollback-on-failure');
  });
  it('runSteps: skips what is not needed, stops at the first failure', async () => {
    const ran: string[] = [];
    const step = (name: string, needed: boolean, ok = true) => ({
      name,
      needed: () => ({ needed, reason: needed ? 'do it' : 'already there' }),
      run: () => (ran.push(name), ok),
    });
    const lines: string[] = [];
    const r = await runSteps([step('a', false), step('b', true), step('c', true, false), step('d', true)], {}, (l) => lines.push(l));
    expect(r).toMatchObject({ success: false, ran: ['b'], skipped: ['a'] });
    expect(r.steps.map((t) => [t.name, t.outcome])).toEqual([['a', 'skipped'], ['b', 'ran'], ['c', 'failed']]);
    expect(ran).toEqual(['b', 'c']);
    expect(lines.map((l) => l.replace(/ ?(in |after )?\d+\.\ds$/, ''))).toEqual(['[1/4] a: skipped (already there)', '[2/4] b: do it', '[2/4] b: done', '[3/4] c: do it', '[3/4] c: failed']);
  });
});
