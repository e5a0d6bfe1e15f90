/* What feeds the dashboard from the loop (src/dashboard): pods as the page shows them, the followers'
 * lines parsed back into service and text, the port-forwards, and the page's actions queued as passes
 * of their own. The page against a real loop: apps/e2e/src/dev-loop/dashboard.dev-loop.ts. */
import { forwardsByService, logLineParser, podViews, serviceUrls } from '../dashboard/feed';
import { DevLoop } from '../dev/loop';
import { prefixer } from '../dev/pods';
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

describe("the page's actions in the loop", () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs an action after the running pass, as a pass of its own, before the changes that came later', async () => {
    const order: string[] = [];
    const loop = new DevLoop({ debounceMs: 50 } as never);
    loop.pass = async (batch) => {
      order.push([...batch.keys()].join(','));
      await wait(300);
    };
    Object.assign(loop, {
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
