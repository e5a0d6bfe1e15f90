/* The progress reporters' formatting and throttling (the real --wait is recorded by apps/e2e's offline.cluster.ts, test 2). */
import type { RunResult } from '@todo/cluster';
import { parseWatchLine, runWithProgress, type WaitOptions, type WatchTarget } from './helm-wait';
import { progressLine } from './line';
import { formatProgress, podProblems, type Pod } from './workloads';
import { smokeAttempt } from '.';

const sink = (isTTY = false) => {
  const out = { isTTY, columns: 60, text: '', write: (s: string) => (out.text += s) };
  return out;
};

describe('podProblems', () => {
  const pod = (name: string, status: Pod['status']): Pod => ({ metadata: { name }, status });
  it('names image pull back-offs, crash loops, unscheduled pods and failing readiness probes', () => {
    const problems = podProblems([
      pod('a', { phase: 'Pending', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' } } }] }),
      pod('b', { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
      pod('c', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] }),
      pod('d', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'app', ready: false, state: { running: {} } }] }),
      pod('ready', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }),
      pod('job', { phase: 'Succeeded' }),
    ]);
    expect(problems).toEqual([
      { pod: 'a', reason: 'ImagePullBackOff', detail: 'Back-off pulling image "nope:1"' },
      { pod: 'b', reason: 'CrashLoopBackOff', detail: 'container app restarted 3x, last exit 1 (Error)', crashing: 'app' },
      { pod: 'c', reason: 'Pending', detail: '0/1 nodes are available: 1 Insufficient cpu.' },
      { pod: 'd', reason: 'NotReady', detail: 'running; readiness probe of app not passing yet' },
    ]);
    expect(formatProgress(12.4, [{ kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 }, status: { readyReplicas: 1 } }], problems.slice(1, 2), { b: 'boom: no database' })).toBe(
      '  waiting 12s: web 1/2 | b: CrashLoopBackOff (container app restarted 3x, last exit 1 (Error); last log line: "boom: no database")',
    );
  });
});

describe('progressLine', () => {
  it('prints plain lines at most every interval unless the state changed', () => {
    let t = 0;
    const out = sink();
    const line = progressLine(out, 5000, () => t);
    line.update('one');
    t = 1000;
    line.update('one again');
    line.update('two', true);
    t = 7000;
    line.update('three');
    line.done('end');
    expect(out.text).toBe('one\ntwo\nthree\nend\n');
  });
  it('redraws in place on a TTY, cut to the terminal width', () => {
    const out = sink(true);
    const line = progressLine(out);
    line.update('x'.repeat(100));
    line.update('short');
    line.done();
    expect(out.text).toBe(`\r\x1b[2K${'x'.repeat(58)}…\r\x1b[2Kshort\r\x1b[2Kshort\n`);
  });
});

describe('smokeAttempt', () => {
  it('reports each failing attempt and the one that passed', () => {
    const out = sink();
    const attempt = smokeAttempt([{ path: '/login', expect: 200 }, { path: '/api', expect: 401 }], out);
    expect(attempt([404, 0])).toBe(false);
    expect(attempt([200, 401])).toBe(true);
    expect(out.text).toBe('  attempt 1: /login 404, /api no answer (expecting 200, 401; retrying for up to 60 s)\n  attempt 2: /login 200, /api 401\n');
  });
});

describe('runWithProgress', () => {
  const target: WatchTarget = { kubectl: 'kubectl', kubectlArgs: ['--context', 'kind-todo'], namespace: 'todo-local', selector: 'app.kubernetes.io/instance=todo' };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const list = (items: object[]) => JSON.stringify({ items });
  const deployment = (name: string, replicas: number, ready: number) => ({ kind: 'Deployment', metadata: { name }, spec: { replicas }, status: { readyReplicas: ready } });
  const postgres = { kind: 'StatefulSet', metadata: { name: 'todo-postgres' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } };
  const notReady = { metadata: { name: 'todo-backend-5d8f7c9b4-x2x7q' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'backend', ready: false, state: { running: {} } }] } };

  /** Helm exits after `helmMs`; the watch prints `events` ([ms, line]) unless `watchExits`; every poll sees the backend at 2/2. */
  function cluster(helmMs: number, events: [number, string][], watchExits = false) {
    const seen: string[] = [];
    const spawn = (async (bin: string, args: string[], opts: { onLine?: (l: string, from: 'stdout' | 'stderr') => void; signal?: AbortSignal } = {}): Promise<RunResult> => {
      const line = `${bin} ${args.join(' ')}`;
      seen.push(line);
      if (bin === 'helm') return sleep(helmMs).then(() => ({ status: 0, stdout: 'deployed\n', stderr: '' }));
      if (args.includes('--watch')) {
        if (watchExits) return { status: 1, stdout: '', stderr: 'error: watch refused' };
        for (const [at, text] of events) setTimeout(() => !opts.signal?.aborted && opts.onLine?.(text, 'stdout'), at);
        return new Promise((resolve) => opts.signal?.addEventListener('abort', () => resolve({ status: 143, stdout: '', stderr: '' })));
      }
      if (args.includes('pods')) return { status: 0, stdout: list([notReady]), stderr: '' };
      const kinds = args[args.indexOf('get') + 1];
      return { status: 0, stdout: list(kinds.includes('deployments') ? [deployment('todo-backend', 2, 2), postgres] : [postgres]), stderr: '' };
    }) as unknown as NonNullable<WaitOptions['spawn']>;
    return { spawn, seen };
  }

  it('parses the watch lines (missing counts as the API leaves them out)', () => {
    expect(parseWatchLine('MODIFIED todo-backend 2 1')).toEqual({ type: 'MODIFIED', workload: deployment('todo-backend', 2, 1) });
    expect(parseWatchLine('ADDED todo-frontend 1 ')).toEqual({ type: 'ADDED', workload: deployment('todo-frontend', 1, 0) });
    expect(parseWatchLine('BOOKMARK  ')).toBeUndefined();
    expect(parseWatchLine('Error from server (Forbidden): deployments.apps is forbidden')).toBeUndefined();
  });

  it('a step between two polls is printed from the watch (the poll alone would show the backend only at 2/2)', async () => {
    const out = sink();
    const { spawn, seen } = cluster(700, [
      [10, 'ADDED todo-backend 1 1'],
      [150, 'MODIFIED todo-backend 2 1'],
      [400, 'MODIFIED todo-backend 2 2'],
    ]);
    const r = await runWithProgress('helm', ['upgrade', '--wait'], target, { out, spawn, pollMs: 250, everyMs: 60_000 });
    expect(r.status).toBe(0);
    const lines = out.text.replace(/\n$/, '').split('\n');
    // The opening list (1/1) prints nothing; the change to 2 desired does, before any poll; the poll adds
    // the StatefulSet and the not-ready pod; once the watch says 2/2 that pod's reason is dropped.
    expect(lines[0]).toMatch(/^ {2}waiting 0s: todo-backend 1\/2$/);
    expect(lines[1]).toMatch(/^ {2}waiting 0s: todo-backend 1\/2, todo-postgres 1\/1 \| todo-backend-5d8f7c9b4-x2x7q: NotReady/);
    expect(lines[2]).toMatch(/^ {2}waiting 0s: todo-backend 2\/2, todo-postgres 1\/1$/);
    expect(lines[lines.length - 1]).toMatch(/^ {2}waited \d+s \(helm exited 0\)$/);
    // Deployments come from the watch only: the polls read StatefulSets and pods.
    expect(seen.filter((l) => l.includes('--watch'))).toEqual([
      'kubectl --context kind-todo -n todo-local get deployments --watch --output-watch-events -o jsonpath={.type} {.object.metadata.name} {.object.spec.replicas} {.object.status.readyReplicas}{"\\n"} -l app.kubernetes.io/instance=todo',
    ]);
    expect(seen.some((l) => / get deployments,statefulsets /.test(l))).toBe(false);
    expect(seen.some((l) => / get statefulsets /.test(l))).toBe(true);
  });

  it('when kubectl refuses the watch, the poll reads the Deployments too', async () => {
    const out = sink();
    const { spawn, seen } = cluster(400, [], true);
    await runWithProgress('helm', ['upgrade', '--wait'], target, { out, spawn, pollMs: 150, everyMs: 60_000 });
    expect(out.text).toMatch(/^ {2}waiting 0s: todo-backend 2\/2, todo-postgres 1\/1 \| todo-backend-5d8f7c9b4-x2x7q: NotReady/);
    expect(seen.some((l) => / get deployments,statefulsets /.test(l))).toBe(true);
  });
});
