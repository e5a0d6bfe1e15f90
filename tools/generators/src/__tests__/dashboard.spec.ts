/* What feeds the dashboard from the loop (src/dashboard): pods as the page shows them, the followers'
 * lines parsed back into service and text, the port-forwards, and the page's actions queued as passes
 * of their own. The page against a real loop: apps/e2e/src/dev-loop/dashboard.dev-loop.ts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevDashboard } from '../dashboard/dev';
import { forwardsByService, logLineParser, podViews, serviceUrls } from '../dashboard/feed';
import { DevLoop } from '../dev/loop';
import { prefixer } from '../dev/log-followers';
import { summarisePods } from '../release/pods';
import { SYNC_ANNOTATION } from '../release/sync-marker';

describe('dashboard feed', () => {
  it("shows each pod's state, node, age, image and sync marker", () => {
    const [pod] = podViews(
      summarisePods(
        JSON.stringify({
          items: [
            {
              metadata: { name: 'todo-backend-1', uid: 'u1', creationTimestamp: '2026-12-07T06:00:00Z', labels: { 'app.kubernetes.io/component': 'backend' }, annotations: { [SYNC_ANNOTATION]: '2026-12-07T06:01:00Z' } },
              spec: { nodeName: 'todo-control-plane', containers: [{ name: 'backend', image: 'todo-backend-dev:content-abc' }] },
              status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'backend', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }] },
            },
          ],
        }),
      ),
    );
    expect(pod).toEqual({
      component: 'backend', name: 'todo-backend-1', uid: 'u1', ready: false, phase: 'Running', deleting: false, restarts: 2, waiting: 'CrashLoopBackOff', lastExit: 'Error (exit 1)',
      node: 'todo-control-plane', createdAt: '2026-12-07T06:00:00Z', image: 'todo-backend-dev:content-abc', syncedAt: '2026-12-07T06:01:00Z',
    });
  });

  it("reads the log followers' lines back, coloured or not, keeping the text's own indentation", () => {
    const services = ['backend', 'frontend'];
    const parse = logLineParser(services);
    for (const colour of [false, true]) {
      const prefix = prefixer(services, colour);
      expect(parse(`${prefix('backend')}   File "deps.py", line 3`)).toEqual({ service: 'backend', text: '  File "deps.py", line 3' });
      expect(parse(`${prefix('frontend')} ✓ Ready in 2.1s`)).toEqual({ service: 'frontend', text: '✓ Ready in 2.1s' });
    }
    expect(parse('[other] x')).toBeUndefined();
    expect(parse('plain line')).toBeUndefined();
  });

  it('gives a URL to the services the ingress routes', () => {
    expect(serviceUrls({ backend: {}, frontend: { ingressPath: '/' }, admin: { ingressPath: '/admin' } }, 'http://todo.localhost:18480/')).toEqual(
      new Map([
        ['frontend', 'http://todo.localhost:18480/'],
        ['admin', 'http://todo.localhost:18480/admin'],
      ]),
    );
  });

  it('names each service\'s port-forward', () => {
    expect(forwardsByService(['backend: 127.0.0.1:18000 -> backend pods, port 8000', 'database: 127.0.0.1:15432 -> postgres pods, port 5432'])).toEqual(
      new Map([
        ['backend', '127.0.0.1:18000 -> port 8000'],
        ['database', '127.0.0.1:15432 -> port 5432'],
      ]),
    );
  });
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the page's actions in the loop", () => {
  it('runs an action after the running pass, as a pass of its own, before the changes that came later', async () => {
    const order: string[] = [];
    const loop = new DevLoop({ debounceMs: 50 } as never);
    Object.assign(loop, {
      startPass: async (batch: Map<string, string>) => {
        order.push([...batch.keys()].join(','));
        await wait(300);
      },
      act: async (action: { kind: string; service?: string }) => {
        order.push(`${action.kind} ${action.service}`);
        await wait(50);
        return action.service === 'backend';
      },
    });
    loop.changed([{ path: 'a.py', type: 'update' }]);
    await wait(120); // pass a.py is running
    const rebuilt = loop.request({ kind: 'rebuild', service: 'backend' });
    const restarted = loop.request({ kind: 'restart', service: 'frontend' });
    loop.changed([{ path: 'b.py', type: 'update' }]);
    expect(await rebuilt).toBe(true);
    expect(await restarted).toBe(false);
    await wait(500);
    expect(order).toEqual(['a.py', 'rebuild backend', 'restart frontend', 'b.py']);
    await loop.stop();
    expect(await loop.request({ kind: 'deploy' })).toBe(false);
  });
});

describe("the dev session's dashboard", () => {
  /** A dashboard on a free port around stand-ins: a run with two services, kubectl without a metrics API, a pod watcher fed by hand. */
  async function devDashboard() {
    const listeners: ((pods: never[]) => void)[] = [];
    const run = {
      name: 'local', namespace: 'todo-local', cluster: { type: 'context', name: 'ctx' }, env: { host: 'todo.localhost' }, tools: { docker: '/bin/false' },
      workspaceRoot: mkdtempSync(join(tmpdir(), 'dev-dashboard-')), images: [{ service: 'backend' }, { service: 'frontend' }],
      config: { services: { backend: { type: 'fastapi' }, frontend: { type: 'nextjs', ingressPath: '/' } } },
    };
    const children = { run: async () => ({ status: 1, stdout: '', stderr: 'error: Metrics API not available' }) };
    const upToDate = { success: true, ran: [], skipped: ['helm release'], steps: [{ name: 'helm release', outcome: 'skipped' as const, reason: 'revision 3 is current', seconds: 0.4, startedAt: 0 }] };
    const ui = await startDevDashboard({ run: run as never, children: children as never, kube: { release: 'todo', namespace: 'todo-local', scopeArgs: [], kubectl: 'kubectl' }, pods: { onPods: (l: never) => listeners.push(l) } as never, uiPort: 0, upToDate, seconds: 1.8 });
    return { ui, run };
  }

  it('turns the loop\'s events and lines into passes: files, what it did, steps with reasons, a failure with the step\'s output', async () => {
    const { ui } = await devDashboard();
    try {
      const say = ui.say(() => undefined);
      const stepLog = ui.stepLog(() => undefined);
      ui.events.passStarted('pass 1', ['apps/backend/requirements.txt']);
      say('pass 1: 1 changed file (apps/backend/requirements.txt)');
      say('  rebuild backend (apps/backend/requirements.txt)');
      stepLog('[1/3] build backend: todo-backend-dev:content-abc is not in the Docker daemon');
      stepLog('#12 ERROR: pip install failed: no matching distribution for nope==1');
      stepLog('[1/3] build backend: failed after 9.0s');
      ui.events.steps([{ name: 'build backend', outcome: 'failed', reason: 'todo-backend-dev:content-abc is not in the Docker daemon', seconds: 9.04, startedAt: 0 }]);
      ui.events.failed('rebuild backend (apps/backend/requirements.txt) failed', 'step "build backend" failed (its output is above)');
      say('pass 1 done in 9.1s: http://todo.localhost/');
      ui.events.passEnded(true);
      const [first, pass] = ui.state.snapshot().passes;
      expect(first).toMatchObject({ title: 'up to date (the deploy steps, dev configuration)', status: 'ok', seconds: 1.8, steps: [{ name: 'helm release', outcome: 'skipped', reason: 'revision 3 is current' }] });
      expect(pass).toMatchObject({
        title: 'pass 1', kind: 'pass', files: ['apps/backend/requirements.txt'], status: 'failed', lines: ['rebuild backend (apps/backend/requirements.txt)'],
        steps: [{ name: 'build backend', outcome: 'failed', seconds: 9, reason: 'todo-backend-dev:content-abc is not in the Docker daemon' }],
        failures: [{ what: 'rebuild backend (apps/backend/requirements.txt) failed', output: 'step "build backend" failed (its output is above)\n\n#12 ERROR: pip install failed: no matching distribution for nope==1' }],
      });
      expect(ui.state.snapshot().services.map((s) => [s.name, s.url])).toEqual([['backend', undefined], ['frontend', 'http://todo.localhost/']]);
      expect(ui.state.snapshot().metrics).toBe(false);
    } finally {
      await ui.close();
    }
  });

  it('keeps two open passes apart by their number: a sync pass that ran while an earlier pass rebuilt in the background', async () => {
    const { ui } = await devDashboard();
    try {
      const say = ui.say(() => undefined);
      const stepLog = ui.stepLog(() => undefined);
      ui.events.passStarted('pass 2', ['apps/backend/requirements.txt'], 2);
      say('  rebuild backend (apps/backend/requirements.txt)', 2);
      stepLog('[1/3] build backend: todo-backend-dev:content-abc is not in the Docker daemon', 2);
      ui.events.passStarted('pass 3', ['apps/backend/todo_api/main.py'], 3);
      say("  (pass 2's rebuild goes on in the background)", 3);
      ui.events.synced('backend', 3);
      ui.events.passEnded(true, 3);
      stepLog('#12 ERROR: pip install failed', 2);
      stepLog('[1/3] build backend: failed after 9.0s', 2);
      ui.events.failed('rebuild backend failed', 'step "build backend" failed', 2);
      ui.events.passEnded(true, 2);
      const passes = ui.state.snapshot().passes;
      expect(passes.find((p) => p.title === 'pass 3')).toMatchObject({ status: 'ok', synced: ['backend'], lines: ["(pass 2's rebuild goes on in the background)"], steps: [], failures: [] });
      expect(passes.find((p) => p.title === 'pass 2')).toMatchObject({
        status: 'failed', synced: [], lines: ['rebuild backend (apps/backend/requirements.txt)'],
        steps: [{ name: 'build backend', outcome: 'failed', seconds: 9 }],
        failures: [{ what: 'rebuild backend failed', output: 'step "build backend" failed\n\n#12 ERROR: pip install failed' }],
      });
    } finally {
      await ui.close();
    }
  });

  it("runs the page's action as a loop request and shows it as that action's pass", async () => {
    const { ui } = await devDashboard();
    const asked: unknown[] = [];
    ui.drive({ request: async (a) => (asked.push(a), ui.events.passStarted('rebuild backend (from the dashboard)', []), ui.events.passEnded(true), true) });
    try {
      const r = await fetch(`${ui.url}api/actions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-dashboard-token': ui.token }, body: JSON.stringify({ kind: 'rebuild', service: 'backend' }) });
      expect(r.status).toBe(202);
      await wait(50);
      expect(asked).toEqual([{ kind: 'rebuild', service: 'backend' }]);
      const pass = ui.state.snapshot().passes.find((p) => p.title === 'rebuild backend (from the dashboard)')!;
      expect(pass.kind).toBe('action');
      expect(ui.state.snapshot().actions).toEqual([{ id: 1, kind: 'rebuild', service: 'backend', status: 'ok', passId: pass.id }]);
    } finally {
      await ui.close();
    }
  });
});
