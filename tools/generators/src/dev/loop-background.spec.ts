/*
 * A pass's rebuild runs in the background: a pass that only syncs goes on meanwhile, one that needs the
 * deploy run waits for it, and what was synced while the image was being built reaches the pods its
 * rollout creates. The deploy run (bridge), the pod listing and the sync are stand-ins here; the
 * dev-loop e2e runs them for real.
 */
import type { ChangePlan, Classifier } from './classify';
import type { DevEvents } from './events';
import { DevLoop } from './loop';

jest.mock('./bridge', () => ({
  ...jest.requireActual('./bridge'),
  appUrl: () => 'http://todo.localhost/',
  rebuildAndUpgrade: jest.fn(),
}));
jest.mock('./sync', () => ({ syncIntoPods: jest.fn() }));
jest.mock('./kube', () => ({ ...jest.requireActual('./kube'), listPods: jest.fn() }));

const bridge = jest.requireMock<{ rebuildAndUpgrade: jest.Mock }>('./bridge');
const sync = jest.requireMock<{ syncIntoPods: jest.Mock }>('./sync');
const kube = jest.requireMock<{ listPods: jest.Mock }>('./kube');

/** .py: sync backend; requirements.txt: rebuild backend; values.yaml: upgrade the release. */
const classifier = {
  classify(batch: Map<string, string>): ChangePlan {
    const plan: ChangePlan = { sync: new Map(), rebuild: new Map(), install: new Map(), upgrade: [], ignored: [] };
    for (const file of batch.keys()) {
      if (file.endsWith('.py')) {
        const s = plan.sync.get('backend') ?? { files: [], deleted: [] };
        s.files.push(file);
        plan.sync.set('backend', s);
      } else if (file.endsWith('requirements.txt')) plan.rebuild.set('backend', file);
      else plan.upgrade.push(file);
    }
    return plan;
  },
} as unknown as Classifier;

beforeEach(() => jest.clearAllMocks());

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); await wait(10)) if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
}

it("a sync runs while an earlier pass rebuilds; the next rebuild or upgrade waits for it; files synced during the build reach the rollout's new pods", async () => {
  const said: string[] = [];
  const events: string[] = [];
  const record = (name: string) => (...args: unknown[]) => void events.push(`${name} ${args[args.length - 1]}`);
  const devEvents: DevEvents = { passStarted: record('start'), synced: record('synced'), steps: record('steps'), failed: record('failed'), passEnded: record('end') };
  // Each rebuild or upgrade ends when the test says so.
  const releases: (() => void)[] = [];
  bridge.rebuildAndUpgrade.mockImplementation((_run: unknown, services: string[], log: (l: string) => void) => {
    log(`[1/1] ${services.length ? `build ${services.join(', ')}` : 'helm release'}: running`);
    return new Promise((resolve) => releases.push(() => resolve({ success: true, ran: [], skipped: [], steps: [{ name: 'helm release', outcome: 'ran', reason: 'r', seconds: 1, startedAt: 0 }] })));
  });
  sync.syncIntoPods.mockImplementation(async (_c: unknown, _k: unknown, req: { files: string[]; onlyPods?: string[] }) => req.onlyPods ?? ['todo-backend-old']);
  kube.listPods.mockResolvedValue([{ name: 'todo-backend-new', phase: 'Running', deleting: false, annotations: {} }]);
  const stepLines: string[] = [];
  const run = { workspaceRoot: '/ws', images: [{ service: 'backend' }] };
  const loop = new DevLoop({
    run: run as never, classifier, children: undefined as never, kube: undefined as never, rules: new Map([['backend', {} as never]]),
    say: (line, pass) => said.push(`${pass}| ${line}`), stepLog: (line, pass) => stepLines.push(`${pass}| ${line}`), debounceMs: 20, events: devEvents,
  });
  try {
    loop.changed([{ path: 'apps/backend/todo_api/before.py', type: 'update' }]); // synced before the rebuild: in its image
    await until('pass 1 done', () => said.some((l) => l.startsWith('1| pass 1 done in')));
    loop.changed([{ path: 'apps/backend/requirements.txt', type: 'update' }]);
    await until('the rebuild of pass 2 started', () => releases.length === 1);

    // Pass 3 only syncs: it runs and ends while pass 2 still rebuilds.
    loop.changed([{ path: 'apps/backend/todo_api/during.py', type: 'update' }]);
    await until('pass 3 done', () => said.some((l) => l.startsWith('3| pass 3 done in')));
    expect(said).toContain("3|   (pass 2's rebuild goes on in the background)");
    expect(said.some((l) => l.startsWith('2| pass 2 done'))).toBe(false);
    expect(sync.syncIntoPods.mock.calls.map((c) => c[2].files)).toEqual([['apps/backend/todo_api/before.py'], ['apps/backend/todo_api/during.py']]);

    // Pass 4 upgrades the release: it waits for pass 2's rebuild (one deploy run at a time).
    loop.changed([{ path: 'charts/todo/values.yaml', type: 'update' }]);
    await until('pass 4 waits', () => said.includes("4|   waiting for pass 2's rebuild, still running"));
    await wait(100);
    expect(releases).toHaveLength(1);

    releases[0]();
    await until('pass 2 done', () => said.some((l) => l.startsWith('2| pass 2 done in')));
    // The rollout's new pods got during.py (synced while the image was being built), not before.py (in the image).
    const resync = sync.syncIntoPods.mock.calls.find((c) => c[2].onlyPods);
    expect(resync![2]).toMatchObject({ files: ['apps/backend/todo_api/during.py'], onlyPods: ['todo-backend-new'] });
    expect(said).toContain('2|   backend: new pods todo-backend-new got the 1 file(s) synced since its image was built');

    await until("pass 4's upgrade started", () => releases.length === 2);
    releases[1]();
    await until('pass 4 done', () => said.some((l) => l.startsWith('4| pass 4 done in')));
    expect(stepLines).toEqual(['2| [1/1] build backend: running', '4| [1/1] helm release: running']);
    // Each event carries its pass: the dashboard keeps two open passes apart.
    expect(events).toEqual(['start 1', 'synced 1', 'end 1', 'start 2', 'start 3', 'synced 3', 'end 3', 'start 4', 'steps 2', 'end 2', 'steps 4', 'end 4']);
  } finally {
    releases.forEach((r) => r());
    await loop.stop();
  }
});

it('stop() waits for a rebuild still running in the background', async () => {
  let release: () => void = () => undefined;
  bridge.rebuildAndUpgrade.mockImplementation(() => new Promise((resolve) => (release = () => resolve({ success: true, ran: [], skipped: [], steps: [] }))));
  const said: string[] = [];
  const loop = new DevLoop({ run: { workspaceRoot: '/ws', images: [] } as never, classifier, children: undefined as never, kube: undefined as never, rules: new Map(), say: (l) => said.push(l), stepLog: () => undefined, debounceMs: 20 });
  loop.changed([{ path: 'charts/todo/values.yaml', type: 'update' }]);
  await until('the upgrade started', () => bridge.rebuildAndUpgrade.mock.calls.length > 0);
  let stopped = false;
  const stopping = loop.stop().then(() => (stopped = true));
  await wait(100);
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(said.some((l) => l.startsWith('pass 1 done in'))).toBe(true);
});
