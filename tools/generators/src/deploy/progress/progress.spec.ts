/* The progress reporters' formatting and throttling (the real --wait is recorded by apps/e2e's offline.cluster.ts, test 2). */
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
