/* The state the page is fed from: what each input does to it and which patches go to the page. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardState, MAX_LOG_LINES, Patch, PodView, SERVER_REACTION_MS } from './state';
import { parseTop, readDeployRecord } from './sources';

const info = { mode: 'dev' as const, environment: 'local', namespace: 'todo-local', cluster: 'kind todo', actions: ['rebuild' as const, 'restart' as const, 'deploy' as const] };
const pod = (component: string, name: string, fields: Partial<PodView> = {}) => ({ component, name, uid: `uid-${name}`, ready: true, phase: 'Running', deleting: false, restarts: 0, ...fields });

function setup() {
  let t = Date.parse('2026-12-07T07:00:00Z');
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const state = new DashboardState(info, ['backend', 'frontend'], clock.now);
  const patches: Patch[] = [];
  state.subscribe((p) => patches.push(p));
  return { state, patches, clock };
}

describe('services', () => {
  it('groups pods by service, ignores other components, and sends only the services that changed', () => {
    const { state, patches } = setup();
    state.setPods([pod('backend', 'b-1', { createdAt: '2026-12-07T06:00:00Z' }), pod('frontend', 'f-1'), pod('postgres', 'db-0')]);
    expect(patches.map((p) => p.kind === 'service' && p.data.name)).toEqual(['backend', 'frontend']);
    expect(state.snapshot().services.flatMap((s) => s.pods.map((p) => p.name))).toEqual(['b-1', 'f-1']);
    patches.length = 0;
    // A rollout: a new backend pod appears, the frontend is unchanged.
    state.setPods([pod('backend', 'b-1', { createdAt: '2026-12-07T06:00:00Z', deleting: true }), pod('backend', 'b-2', { createdAt: '2026-12-07T07:00:00Z', ready: false, waiting: 'ContainerCreating' }), pod('frontend', 'f-1')]);
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({ kind: 'service', data: { name: 'backend', pods: [{ name: 'b-1', deleting: true }, { name: 'b-2', waiting: 'ContainerCreating' }] } });
  });

  it('shows CPU and memory only once a metrics API answered, and keeps the figures across pod polls', () => {
    const { state, patches } = setup();
    state.setPods([pod('backend', 'b-1')]);
    state.setMetrics(undefined);
    expect(state.snapshot().metrics).toBe(false);
    expect(patches.filter((p) => p.kind === 'metrics')).toEqual([]);
    state.setMetrics(new Map([['b-1', { cpu: '12m', memory: '85Mi' }]]));
    expect(state.snapshot().metrics).toBe(true);
    state.setPods([pod('backend', 'b-1', { restarts: 1 })]);
    expect(state.snapshot().services[0].pods[0]).toMatchObject({ restarts: 1, cpu: '12m', memory: '85Mi' });
    state.setMetrics(undefined);
    expect(patches.filter((p) => p.kind === 'metrics').map((p) => p.data)).toEqual([true, false]);
  });

  it('changes a service only for a real difference', () => {
    const { state, patches } = setup();
    state.setService('backend', { url: 'http://todo.localhost/' });
    state.setService('backend', { url: 'http://todo.localhost/' });
    state.setService('nope', { url: 'x' });
    expect(patches).toHaveLength(1);
  });
});

describe('passes', () => {
  it('follows the runner lines: a step runs, then is done, skipped or failed; the returned timings replace them', () => {
    const { state, clock } = setup();
    const id = state.passStarted('pass 4', 'pass', ['apps/backend/requirements.txt']);
    state.passLine(id, 'rebuild backend (apps/backend/requirements.txt)');
    state.passLine(id, '[1/4] build backend: todo-backend-dev:content-abc is not in the Docker daemon');
    expect(state.snapshot().passes[0].steps).toEqual([{ name: 'build backend', outcome: 'running', reason: 'todo-backend-dev:content-abc is not in the Docker daemon' }]);
    state.passLine(id, '[1/4] build backend: done in 7.5s');
    state.passLine(id, '[2/4] load backend: skipped (the node has it) 0.2s');
    state.passLine(id, '[3/4] helm release: revision 3 is older than the chart');
    state.passLine(id, '[3/4] helm release: failed after 3.0s');
    expect(state.snapshot().passes[0].steps.map((s) => [s.name, s.outcome, s.seconds])).toEqual([
      ['build backend', 'ran', 7.5],
      ['load backend', 'skipped', 0.2],
      ['helm release', 'failed', 3],
    ]);
    state.passSteps(id, [
      { name: 'build backend', outcome: 'ran', reason: 'not in the daemon', seconds: 7.54 },
      { name: 'load backend', outcome: 'skipped', reason: 'the node has it', seconds: 0.21 },
      { name: 'helm release', outcome: 'failed', reason: 'older', seconds: 3.04 },
    ]);
    state.passFailed(id, 'rebuild backend failed', 'Error: UPGRADE FAILED: timed out');
    clock.advance(11_000);
    state.passEnded(id);
    const pass = state.snapshot().passes[0];
    expect(pass).toMatchObject({ status: 'failed', seconds: 11, lines: ['rebuild backend (apps/backend/requirements.txt)'], failures: [{ what: 'rebuild backend failed', output: 'Error: UPGRADE FAILED: timed out' }] });
    expect(pass.steps.map((s) => s.seconds)).toEqual([7.5, 0.2, 3]);
  });

  it('a pass that only ignored files did nothing; one that synced is done', () => {
    const { state } = setup();
    const a = state.passStarted('pass 1', 'pass', ['README.md']);
    state.passEnded(a, false);
    const b = state.passStarted('pass 2', 'pass', ['apps/backend/todo_api/deps.py']);
    state.passSynced(b, 'backend');
    state.passEnded(b);
    expect(state.snapshot().passes.map((p) => p.status)).toEqual(['nothing', 'ok']);
  });

  it("takes the server's failure after a sync as the pass's, with its output; later lines and other services are not", () => {
    const { state, clock } = setup();
    const id = state.passStarted('pass 5', 'pass', ['apps/backend/todo_api/deps.py']);
    state.passSynced(id, 'backend');
    state.passEnded(id);
    clock.advance(800);
    state.logLine('frontend', 'Error: something else');
    state.logLine('backend', 'Traceback (most recent call last):');
    state.logLine('backend', '    def broken(:');
    state.logLine('backend', 'SyntaxError: invalid syntax');
    state.logLine('backend', 'dev-server: the worker exited (its error is above): waiting for a change');
    let pass = state.snapshot().passes[0];
    expect(pass.status).toBe('failed');
    expect(pass.failures).toEqual([{ what: 'backend: the server failed to load the change', output: 'Traceback (most recent call last):\n    def broken(:\nSyntaxError: invalid syntax\ndev-server: the worker exited (its error is above): waiting for a change' }]);
    // The fix: a new pass, whose reload is reported as its own line.
    const fix = state.passStarted('pass 6', 'pass', ['apps/backend/todo_api/deps.py']);
    state.passSynced(fix, 'backend');
    state.passEnded(fix);
    state.logLine('backend', 'dev-server: reloaded for todo_api/deps.py (old worker stopped in 0.18s)');
    pass = state.snapshot().passes[1];
    expect(pass).toMatchObject({ status: 'ok', failures: [], lines: ['backend: dev-server: reloaded for todo_api/deps.py (old worker stopped in 0.18s)'] });
    // Long after the pass, an error is the log's alone.
    clock.advance(SERVER_REACTION_MS + 1000);
    state.logLine('backend', 'Error: a request failed');
    expect(state.snapshot().passes[1].status).toBe('ok');
    expect(state.snapshot().logs.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps the newest log lines only', () => {
    const { state } = setup();
    for (let i = 0; i < MAX_LOG_LINES + 10; i++) state.logLine('backend', `line ${i}`);
    const logs = state.snapshot().logs;
    expect(logs).toHaveLength(MAX_LOG_LINES);
    expect(logs[0].text).toBe('line 10');
  });
});

describe('actions', () => {
  it('tracks an action from queued to done, and says whether one of the same kind is pending', () => {
    const { state } = setup();
    const a = state.actionQueued('rebuild', 'backend');
    expect(state.actionPending('rebuild', 'backend')).toBe(true);
    expect(state.actionPending('rebuild', 'frontend')).toBe(false);
    state.actionUpdate(a.id, { status: 'running', passId: 3 });
    state.actionUpdate(a.id, { status: 'ok' });
    expect(state.actionPending('rebuild', 'backend')).toBe(false);
    expect(state.snapshot().actions).toEqual([{ id: 1, kind: 'rebuild', service: 'backend', status: 'ok', passId: 3 }]);
  });
});

describe('sources', () => {
  it('reads kubectl top pods, and nothing from an error', () => {
    expect(parseTop('todo-backend-1   3m    120Mi\ntodo-frontend-2  11m   310Mi\n')).toEqual(
      new Map([
        ['todo-backend-1', { cpu: '3m', memory: '120Mi' }],
        ['todo-frontend-2', { cpu: '11m', memory: '310Mi' }],
      ]),
    );
    expect(parseTop('error: Metrics API not available')).toBeUndefined();
  });

  it('reads a deploy record with its time; a missing or foreign file is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    const file = join(dir, 'local.json');
    expect(readDeployRecord(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ environment: 'local', success: true, seconds: 3.2, steps: [{ name: 'helm release', outcome: 'skipped', reason: 'revision 4 is current', seconds: 0.4 }] }));
    expect(readDeployRecord(file)).toMatchObject({ success: true, steps: [{ reason: 'revision 4 is current' }], at: expect.stringMatching(/^\d{4}-/) });
    writeFileSync(file, '{"hello": 1}');
    expect(readDeployRecord(file)).toBeUndefined();
  });
});
