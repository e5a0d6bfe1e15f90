/*
 * The server on a real loopback port: the page carries the session's token; an action without it,
 * with another site's Origin or Sec-Fetch-Site, as a form post (no preflight), or through a host name
 * that is not ours (DNS rebinding) is refused and runs nothing; the event stream sends the state and
 * then the patches. (A real browser on another origin is the dev-loop e2e's dashboard test.)
 */
import { createServer, request } from 'node:http';
import { DashboardState } from './state';
import { ActionRequest, DashboardServer, startDashboardServer } from './server';

const info = { mode: 'dev' as const, environment: 'local', namespace: 'todo-local', cluster: 'kind todo', actions: ['rebuild' as const, 'restart' as const, 'deploy' as const] };

function call(port: number, o: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers: { host: `127.0.0.1:${port}`, ...o.headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

let state: DashboardState;
let server: DashboardServer;
let asked: ActionRequest[];

beforeEach(async () => {
  state = new DashboardState(info, ['backend', 'frontend']);
  asked = [];
  server = await startDashboardServer({ state, port: 0, act: (r) => asked.push(r), flushMs: 10 });
});
afterEach(() => server.close());

const post = (headers: Record<string, string>, body = JSON.stringify({ kind: 'rebuild', service: 'backend' })) => call(server.port, { method: 'POST', path: '/api/actions', headers, body });
const json = { 'content-type': 'application/json' };

test('listens on 127.0.0.1 only and serves the page with this session token', async () => {
  expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  const page = await call(server.port, {});
  expect(page.status).toBe(200);
  expect(page.body).toContain(`<meta name="dashboard-token" content="${server.token}">`);
  expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(server.token).toMatch(/^[0-9a-f]{48}$/);
  expect((await call(server.port, { path: '/app.js' })).status).toBe(200);
});

test('an action with the token runs; one without it, or with a wrong one, is refused and runs nothing', async () => {
  const none = await post(json);
  expect(none.status).toBe(403);
  expect(none.body).toContain('X-Dashboard-Token');
  expect((await post({ ...json, 'x-dashboard-token': 'f'.repeat(48) })).status).toBe(403);
  expect((await post({ ...json, 'x-dashboard-token': 'short' })).status).toBe(403);
  expect(asked).toEqual([]);
  const ok = await post({ ...json, 'x-dashboard-token': server.token, origin: `http://127.0.0.1:${server.port}`, 'sec-fetch-site': 'same-origin' });
  expect(ok.status).toBe(202);
  expect(asked).toEqual([{ kind: 'rebuild', service: 'backend' }]);
});

test('a cross-site request cannot trigger a rebuild, even with the token', async () => {
  const token = { 'x-dashboard-token': server.token };
  expect((await post({ ...json, ...token, origin: 'http://evil.example' })).status).toBe(403);
  expect((await post({ ...json, ...token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  // What a form on another site can send without a preflight: no custom header, a simple content type.
  expect((await post({ 'content-type': 'text/plain', origin: 'http://evil.example' })).status).toBe(403);
  expect((await post({ 'content-type': 'text/plain', ...token })).status).toBe(403);
  // DNS rebinding: another name that resolves to 127.0.0.1 gets nothing at all, not even the page.
  const rebound = await call(server.port, { headers: { host: `evil.example:${server.port}` } });
  expect(rebound.status).toBe(421);
  expect(rebound.body).not.toContain(server.token);
  expect((await call(server.port, { method: 'POST', path: '/api/actions', headers: { host: `evil.example:${server.port}`, ...json, ...token }, body: '{"kind":"deploy"}' })).status).toBe(421);
  // No CORS preflight is ever granted.
  const preflight = await call(server.port, { method: 'OPTIONS', path: '/api/actions', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
  expect(preflight.status).toBe(405);
  expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  expect(asked).toEqual([]);
});

test('refuses unknown actions and services with a reason', async () => {
  const h = { ...json, 'x-dashboard-token': server.token };
  expect(await post(h, '{"kind":"format-disk"}')).toMatchObject({ status: 400, body: expect.stringContaining('unknown action format-disk') });
  expect(await post(h, '{"kind":"restart","service":"nope"}')).toMatchObject({ status: 400, body: 'unknown service nope' });
  expect(await post(h, 'not json')).toMatchObject({ status: 400 });
  expect(await post(h, '{"kind":"deploy"}')).toMatchObject({ status: 202 });
  expect(asked).toEqual([{ kind: 'deploy' }]);
});

test('the event stream needs the token, sends the state, then each change', async () => {
  expect((await call(server.port, { path: '/events' })).status).toBe(403);
  const got: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: `/events?token=${server.token}`, headers: { host: `127.0.0.1:${server.port}` } }, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.on('data', (c: Buffer) => {
        got.push(c.toString());
        if (got.length === 1) state.passStarted('pass 1', 'pass', ['apps/backend/todo_api/deps.py']);
        if (got.join('').includes('event: patch')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
  await done;
  const text = got.join('');
  expect(text).toMatch(/event: snapshot\ndata: \{"info":\{"mode":"dev"/);
  const patch = JSON.parse(/event: patch\ndata: (.*)\n/.exec(text)![1]);
  expect(patch).toEqual([{ kind: 'pass', data: expect.objectContaining({ title: 'pass 1', files: ['apps/backend/todo_api/deps.py'], status: 'running' }) }]);
});

test('a port in use is an error that names the port and the fix', async () => {
  const other = createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  const port = (other.address() as { port: number }).port;
  try {
    await expect(startDashboardServer({ state, port, act: () => 0 })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: pass --uiPort=<another port>, or --ui=false`);
  } finally {
    other.close();
  }
});
