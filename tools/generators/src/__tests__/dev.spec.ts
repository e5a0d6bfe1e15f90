/* The dev loop's decisions without a cluster: what each changed file asks for (the real workspace's
 * Dockerfile ignore files and a project graph shaped like ours), the sync marker, and the coalescing
 * of bursts into passes. The loop against a real cluster: apps/e2e/src/dev-loop. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectGraph } from '@nx/devkit';
import type { BuildPlan } from '../images/build';
import type { ImageRecord } from '../images/record';
import { devDeployRun, passRun } from '../dev/bridge';
import { Children } from '../dev/children';
import { Classifier } from '../dev/classify';
import { DevLoop } from '../dev/loop';
import { summarisePods } from '../release/pods';
import { SYNC_ANNOTATION, syncedPods, workloadsOf } from '../release/sync-marker';
import { syncIntoPods } from '../dev/sync';
import { syncRule } from '../dev/sync-rules';
import { StartUpWatcher } from '../dev/watch';
import { kubectlStandIn } from './kubectl-stand-in';
import { runSteps } from '../deploy/step';

const WORKSPACE = join(__dirname, '../../../..');

function graph(): ProjectGraph {
  const node = (name: string, root: string) => ({ name, type: 'app' as const, data: { root } });
  const dep = (source: string, target: string) => ({ source, target, type: 'implicit' });
  return {
    nodes: {
      backend: node('backend', 'apps/backend'),
      'backend-image': node('backend-image', 'apps/backend-image'),
      frontend: node('frontend', 'apps/frontend'),
      'frontend-image': node('frontend-image', 'apps/frontend-image'),
      'py-lib': node('py-lib', 'libs/py-lib'),
      todo: node('todo', 'charts/todo'),
      e2e: node('e2e', 'apps/e2e'),
    },
    dependencies: {
      'backend-image': [dep('backend-image', 'backend')],
      backend: [dep('backend', 'py-lib')],
      'frontend-image': [dep('frontend-image', 'frontend')],
      todo: [dep('todo', 'backend-image'), dep('todo', 'frontend-image')],
    },
  } as unknown as ProjectGraph;
}

const classifier = () =>
  new Classifier({
    workspaceRoot: WORKSPACE,
    graph: graph(),
    fileOwners: new Map(),
    images: [
      { service: 'backend', project: 'backend-image', dockerfile: 'apps/backend-image/Dockerfile', context: '.', sync: syncRule('backend', { type: 'fastapi', asgiApp: 'todo_api.main:app' }) },
      { service: 'frontend', project: 'frontend-image', dockerfile: 'apps/frontend-image/Dockerfile', context: '.', sync: syncRule('frontend', { type: 'nextjs' }) },
    ],
    chartDir: 'charts/todo',
    environment: 'local',
    extraValues: ['tmp/offline.yaml'],
  });

const plan = (...files: string[]) => classifier().classify(new Map(files.map((f) => [f, 'update' as const])));

describe('classify', () => {
  it('syncs a service source file into that service only', () => {
    const p = plan('apps/backend/todo_api/main.py');
    expect([...p.sync.keys()]).toEqual(['backend']);
    expect(p.sync.get('backend')!.files).toEqual(['apps/backend/todo_api/main.py']);
    expect(p.rebuild.size + p.upgrade.length).toBe(0);
    expect(plan('apps/frontend/components/TaskList.tsx').sync.get('frontend')!.files).toEqual(['apps/frontend/components/TaskList.tsx']);
  });

  it('does nothing for a README, tests, or files of projects no image uses', () => {
    const p = plan('apps/backend/README.md', 'apps/backend/tests/test_tasks.py', 'apps/e2e/src/user-journey.ts', 'charts/todo/README.md', 'docs/dev-loop.md');
    expect(p.sync.size + p.rebuild.size + p.upgrade.length).toBe(0);
    expect(p.ignored).toHaveLength(5);
  });

  it("rebuilds only the service whose dependency file or Dockerfile changed", () => {
    expect([...plan('apps/backend/requirements.txt').rebuild.keys()]).toEqual(['backend']);
    expect([...plan('apps/frontend/package.json').rebuild.keys()]).toEqual(['frontend']);
    expect([...plan('apps/backend-image/Dockerfile').rebuild.keys()]).toEqual(['backend']);
    // The root lockfile belongs to no project: it reaches the images whose context holds it (the frontend's).
    expect([...plan('package-lock.json').rebuild.keys()]).toEqual(['frontend']);
  });

  it("installs a changed requirements.txt, package.json or npm lockfile into that service's pods first; other dependency files only rebuild", () => {
    expect([...plan('apps/backend/requirements.txt').install]).toEqual([['backend', 'apps/backend/requirements.txt']]);
    expect([...plan('apps/backend/requirements.txt').rebuild.keys()]).toEqual(['backend']); // the image still gets it
    expect([...plan('apps/frontend/package.json').install]).toEqual([['frontend', 'apps/frontend/package.json']]);
    expect([...plan('package-lock.json').install]).toEqual([['frontend', 'package-lock.json']]);
    expect([...plan('apps/frontend/package.json', 'package-lock.json').rebuild.keys()]).toEqual(['frontend']);
    for (const file of ['apps/backend/pyproject.toml', 'apps/backend-image/Dockerfile', 'apps/frontend-image/Dockerfile', 'apps/backend/todo_api/main.py']) expect(plan(file).install.size).toBe(0);
    // A removed requirements file has nothing to install: the rebuild says what it means.
    expect(classifier().classify(new Map([['apps/backend/requirements.txt', 'delete' as const]])).install.size).toBe(0);
  });

  it('a rebuild takes the synced files of its service with it', () => {
    const p = plan('apps/backend/todo_api/main.py', 'apps/backend/requirements.txt', 'apps/frontend/app/page.tsx');
    expect([...p.rebuild.keys()]).toEqual(['backend']);
    expect([...p.sync.keys()]).toEqual(['frontend']);
  });

  it("upgrades for chart templates, the environment's values and --values files, not for other environments' values", () => {
    expect(plan('charts/todo/templates/backend/deployment.yaml', 'charts/todo/values-local.yaml', 'charts/todo/values.yaml', 'tmp/offline.yaml').upgrade).toHaveLength(4);
    const other = plan('charts/todo/values-dev.yaml', 'charts/todo/project.json');
    expect(other.upgrade).toEqual([]);
    expect(other.ignored).toHaveLength(2);
  });

  it('places files by the graph: a library file reaches only the services that depend on it', () => {
    const c = classifier();
    expect(c.ownerOf('libs/py-lib/src/x.py')).toBe('py-lib');
    expect(c.ownerOf('package-lock.json')).toBeUndefined();
    // py-lib is outside both build contexts here, so it changes nothing, for either service.
    expect(plan('libs/py-lib/src/x.py').ignored).toEqual(['libs/py-lib/src/x.py']);
  });

  it('removes deleted source files in the pods', () => {
    const p = classifier().classify(new Map([['apps/frontend/app/old.tsx', 'delete' as const]]));
    expect(p.sync.get('frontend')).toEqual({ files: [], deleted: ['apps/frontend/app/old.tsx'] });
  });
});

describe('sync marker', () => {
  const pod = (name: string, annotations: Record<string, string>, owner = 'todo-backend-5d9f7c6b8') => ({
    metadata: { name, uid: `uid-${name}`, labels: { 'app.kubernetes.io/component': 'backend' }, annotations, ownerReferences: [{ kind: 'ReplicaSet', name: owner }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'backend', restartCount: 0, state: { running: {} } }] },
  });

  it('finds the marked pods and the Deployments to restart', () => {
    const pods = summarisePods(JSON.stringify({ items: [pod('a', { [SYNC_ANNOTATION]: '2026-01-01T00:00:00Z' }), pod('b', {}), pod('c', { [SYNC_ANNOTATION]: 'x' })] }));
    expect(syncedPods(pods).map((p) => p.name)).toEqual(['a', 'c']);
    expect(workloadsOf(syncedPods(pods))).toEqual(['deployment/todo-backend']);
  });
});

describe('the bridge into the deploy', () => {
  it('a dev run builds each image from its dev stage under its own repository and sets the chart dev mode', () => {
    const run = devDeployRun({ environment: 'local', set: ['a=b'], localRegistry: false }, { root: WORKSPACE });
    expect(run.images.map((i) => [i.build.image, i.build.target])).toEqual([['todo-backend-dev', 'dev'], ['todo-frontend-dev', 'dev']]);
    expect(run.sets).toEqual(['a=b', 'dev.enabled=true']);
    expect(run.options.keepSyncedPods).toBeUndefined();
  });

  it("a pass runs on the session's run: keepSyncedPods, the session's tools, and the images it does not rebuild as they were", () => {
    const last = devDeployRun({ environment: 'local', localRegistry: false }, { root: WORKSPACE });
    last.tools = { docker: 'docker', kubectl: 'kubectl', helm: { bin: 'helm', major: 3, version: 'v3' } };
    for (const i of last.images) {
      i.plan = { image: i.build.image, tags: [`content-${i.service}`] } as BuildPlan;
      i.record = { image: i.build.image, ref: `${i.build.image}:content-${i.service}`, contentTag: `content-${i.service}`, id: `sha256:${i.service}` } as ImageRecord;
    }
    const tools = last.tools;
    const [frontendPlan, frontendRecord] = [last.images[1].plan, last.images[1].record];
    // #25: what lasts a session is resolved once; a pass no longer builds a new DeployRun and copies state into it.
    const pass = passRun(last, ['backend']);
    expect(pass).toBe(last);
    expect(pass.options.keepSyncedPods).toBe(true);
    expect(pass.tools).toBe(tools);
    expect(pass.sets).toEqual(['dev.enabled=true']);
    const [backend, frontend] = pass.images;
    expect([backend.plan, backend.record]).toEqual([undefined, undefined]); // planned again from the files now
    expect(backend.build.target).toBe('dev');
    expect(frontend.record).toBe(frontendRecord); // what its pods run
    expect(frontend.plan).toBe(frontendPlan);
  });
});

describe('coalescing', () => {
  /** A loop whose passes only record their batch (and take `ms`). */
  function recordingLoop(ms: number) {
    const batches: string[][] = [];
    const loop = new DevLoop({ debounceMs: 50 } as never);
    // startPass: what the loop's turn runs (a pass without its background rebuild).
    Object.assign(loop, {
      startPass: async (batch: Map<string, string>) => {
        batches.push([...batch.keys()]);
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    return { loop, batches };
  }
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('makes one pass of a burst of 20 saves', async () => {
    const { loop, batches } = recordingLoop(10);
    for (let i = 0; i < 20; i++) {
      loop.changed([{ path: `apps/backend/todo_api/f${i}.py`, type: 'update' }]);
      await wait(2);
    }
    await wait(300);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(20);
  });

  it('runs a change that arrives during a pass after it, never losing it', async () => {
    const { loop, batches } = recordingLoop(300);
    loop.changed([{ path: 'a.py', type: 'update' }]);
    await wait(120); // the first pass is running
    loop.changed([{ path: 'b.py', type: 'update' }]);
    await wait(700);
    expect(batches).toEqual([['a.py'], ['b.py']]);
  });
});

describe('a save during start-up', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('is not lost: a file saved in each start-up phase reaches the loop as its first pass', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dev-startup-'));
    mkdirSync(join(root, 'apps/backend/todo_api'), { recursive: true });
    const save = (phase: string) => writeFileSync(join(root, `apps/backend/todo_api/${phase}.py`), `# saved during ${phase}\n`);
    const batches: string[][] = [];
    const watcher = await StartUpWatcher.start(root, (e) => { throw e; });
    try {
      // The deploy steps as dev-local's start-up runs them, each saving a file while it runs.
      const phases = ['cluster', 'build backend', 'build frontend', 'load backend', 'load frontend', 'other images', 'helm release', 'smoke check'];
      const steps = phases.map((name) => ({ name, needed: () => ({ needed: true, reason: name }), run: async () => (save(name.replace(' ', '-')), await wait(60), true) }));
      expect((await runSteps(steps, {}, () => undefined)).success).toBe(true);
      save('classifier'); // the project graph is read after the deploy
      await wait(60);
      save('pod-watcher'); // the pod watcher and port-forwards start
      await wait(300);
      const loop = new DevLoop({ debounceMs: 50 } as never);
      Object.assign(loop, { startPass: async (batch: Map<string, string>) => void batches.push([...batch.keys()].sort()) });
      const early = watcher.handTo((events) => loop.changed(events));
      const expected = [...phases.map((p) => p.replace(' ', '-')), 'classifier', 'pod-watcher'].map((p) => `apps/backend/todo_api/${p}.py`).sort();
      expect([...early].sort()).toEqual(expected);
      await wait(300);
      expect(batches).toEqual([expected]);
      // Once handed over, saves go straight to the loop.
      save('after');
      await eventuallyTrue(() => batches.length === 2);
      expect(batches[1]).toEqual(['apps/backend/todo_api/after.py']);
    } finally {
      await watcher.unsubscribe();
      rmSync(root, { recursive: true, force: true });
    }
  });

  async function eventuallyTrue(ok: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error('not within 5 s');
      await wait(20);
    }
  }
});

describe('sync through kubectl exec', () => {
  // A kubectl stand-in: one running pod of the asked service; `exec … -- <command>` runs the rule's real
  // command here (python3 for the backend, tar and rm for the frontend) with the container's paths moved
  // under <pod root>; `annotate` is recorded.
  const root = mkdtempSync(join(tmpdir(), 'dev-sync-'));
  const podRoot = join(root, 'pod');
  const log = join(root, 'calls.log');
  const kubectl = kubectlStandIn(root, podRoot, log, ['/app/', '/repo/']);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['backend', syncRule('backend', { type: 'fastapi', asgiApp: 'todo_api.main:app' }), 'python3 -c'],
    ['frontend', syncRule('frontend', { type: 'nextjs' }), 'tar -x -m -f - -C /repo/apps/frontend/'],
  ])('%s: writes the changed files where the pod runs its code (mtime now), removes deleted ones, and marks the pod', async (service, rule, command) => {
    const ws = join(root, 'ws');
    const file = `${rule.from}routes/tasks $(x).py`; // a name a shell would expand: passed as data only
    mkdirSync(join(ws, rule.from, 'routes'), { recursive: true });
    writeFileSync(join(ws, file), 'ANSWER = 42\n');
    utimesSync(join(ws, file), new Date('2001-01-01'), new Date('2001-01-01'));
    mkdirSync(join(podRoot, rule.to), { recursive: true });
    writeFileSync(join(podRoot, rule.to, 'old.py'), 'x\n');
    const children = new Children();
    const k = { kubectl, scopeArgs: ['--context', 'kind-todo'], namespace: 'todo-local', release: 'todo' };
    const started = Date.now();
    const pods = await syncIntoPods(children, k, { service, rule, workspaceRoot: ws, files: [file], deleted: [`${rule.from}old.py`, `${rule.from}never-there.py`] });
    expect(pods).toEqual([`todo-${service}-1`]);
    const written = join(podRoot, rule.to, 'routes/tasks $(x).py');
    expect(readFileSync(written, 'utf8')).toBe('ANSWER = 42\n');
    expect(statSync(written).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    expect(existsSync(join(podRoot, rule.to, 'old.py'))).toBe(false);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain(`exec -i todo-${service}-1 -c ${service} -- ${command}`);
    expect(calls).toMatch(new RegExp(`annotate pod --overwrite todo-${service}-1 todo\\.dev/synced-at=\\d{4}-`));
    expect(children.count).toBe(0);
  });
});

describe('children', () => {
  it('stopAll ends a follower that would run for minutes, and nothing starts afterwards', async () => {
    const children = new Children();
    const lines: string[] = [];
    const follower = children.run('sh', ['-c', 'echo following; exec sleep 300'], { onLine: (l) => lines.push(l), discard: true });
    while (!lines.includes('following')) await new Promise((r) => setTimeout(r, 20));
    expect(children.count).toBe(1);
    const t0 = Date.now();
    expect(await children.stopAll(1500)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await follower).status).not.toBe(0);
    expect((await children.run('echo', ['late'])).stderr).toBe('the dev loop is stopping');
  });
});
