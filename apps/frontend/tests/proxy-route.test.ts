/**
 * @jest-environment node
 *
 * The /api/[...path] route handler against a real HTTP server on 127.0.0.1 standing in for the backend.
 */
import { AddressInfo } from 'node:net';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import * as route from '@/app/api/[...path]/route';
import * as health from '@/app/api/health/route';
import * as ready from '@/app/api/ready/route';
import { inflightBodyBytes } from '@/lib/proxy';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '@/lib/session';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

interface FakeBackend {
  url: string;
  seen: Seen[];
  handle: (h: Handler) => void;
  close: () => Promise<void>;
}

const defaultHandler: Handler = (_req, res, seen) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
  res.end(JSON.stringify({ echo: seen }));
};

async function startBackend(): Promise<FakeBackend> {
  const seen: Seen[] = [];
  let handler: Handler = defaultHandler;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    handle: (h) => (handler = h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind, note it, close. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function req(path: string, init: RequestInit & { cookie?: string } = {}, origin = 'http://localhost:3000') {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  return new Request(`${origin}${path}`, { ...init, headers });
}

function makeJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}.signature`;
}

describe('/api/[...path] proxy route', () => {
  let backend: FakeBackend;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(async () => {
    await backend.close();
  });
  beforeEach(() => {
    process.env.BACKEND_URL = backend.url;
    backend.seen.length = 0;
    backend.handle(defaultHandler);
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  it('is dynamic, so nothing about the backend is fixed at build time', () => {
    expect(route.dynamic).toBe('force-dynamic');
  });

  it('forwards method, path, query, body and relevant headers', async () => {
    const res = await route.PATCH(
      req('/api/tasks/42?x=1&q=milk%20tea', {
        method: 'PATCH',
        body: JSON.stringify({ title: 'New' }),
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': 'abc-123', 'x-other': 'dropped' },
        cookie: 'unrelated=1',
      }),
    );
    expect(res.status).toBe(200);
    const [seen] = backend.seen;
    expect(seen.method).toBe('PATCH');
    expect(seen.url).toBe('/api/tasks/42?x=1&q=milk%20tea');
    expect(JSON.parse(seen.body)).toEqual({ title: 'New' });
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers['x-request-id']).toBe('abc-123');
    expect(seen.headers['x-other']).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
    // One connection per request, so the Service spreads requests over every backend pod (docs/scaling.md).
    expect(seen.headers.connection).toBe('close');
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('x-backend')).toBe('yes');
  });

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const)('proxies %s', async (method) => {
    const res = await route[method](req('/api/tasks', { method, body: method === 'POST' || method === 'PUT' ? '{}' : undefined }));
    expect(res.status).toBe(200);
    expect(backend.seen[0].method).toBe(method);
  });

  it('generates an X-Request-ID when the caller has none (or a bad one)', async () => {
    const res = await route.GET(req('/api/tasks', { headers: { 'x-request-id': 'bad id with spaces' } }));
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(backend.seen[0].headers['x-request-id']).toBe(id);
  });

  it('adds Authorization from the session cookie', async () => {
    await route.GET(req('/api/auth/me', { cookie: `other=x; ${SESSION_COOKIE}=tok.en.sig` }));
    expect(backend.seen[0].headers.authorization).toBe('Bearer tok.en.sig');
  });

  it('sets an httpOnly cookie on login and strips the token from the response', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = makeJwt({ sub: '1', exp });
    backend.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'bearer', user: { id: 1, email: 'a@b.co' } }));
    });
    const res = await route.POST(
      req('/api/auth/login', { method: 'POST', body: JSON.stringify({ email: 'a@b.co', password: 'pw' }), headers: { 'content-type': 'application/json' } }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { id: 1, email: 'a@b.co' } });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`${SESSION_COOKIE}=${token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(JSON.parse(backend.seen[0].body)).toEqual({ email: 'a@b.co', password: 'pw' });
  });

  it('a password change: the new token (the others are revoked) replaces the cookie and never reaches the browser', async () => {
    backend.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'fresh', token_type: 'bearer', expires_in: 60, user: { id: 1, email: 'a@b.co' } }));
    });
    const res = await route.POST(req('/api/auth/password', { method: 'POST', cookie: `${SESSION_COOKIE}=old`, body: '{}' }));
    expect(res.status).toBe(200);
    expect(backend.seen[0].headers.authorization).toBe('Bearer old');
    expect(await res.json()).toEqual({ expires_in: 60, user: { id: 1, email: 'a@b.co' } });
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=fresh; .*Max-Age=60`));
  });

  it('does the same on signup (201), with Secure behind an https ingress', async () => {
    process.env.SESSION_COOKIE_SECURE = 'proxy'; // the ingress is the only way in: believe its header
    backend.handle((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'opaque', token_type: 'bearer', user: { id: 2, email: 'b@b.co' } }));
    });
    const res = await route.POST(req('/api/auth/signup', { method: 'POST', body: '{}', headers: { 'x-forwarded-proto': 'https' } }));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toEqual({ user: { id: 2, email: 'b@b.co' } });
    expect(JSON.stringify(body)).not.toContain('opaque');
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SECURE_SESSION_COOKIE}=opaque;.*HttpOnly.*Max-Age=86400; Secure$`));
    expect(backend.seen[0].headers['x-forwarded-proto']).toBe('https');
  });

  it('prefers expires_in from the response for the cookie lifetime', async () => {
    backend.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: makeJwt({ exp: 1 }), token_type: 'bearer', expires_in: 1800, user: { id: 1 } }));
    });
    const res = await route.POST(req('/api/auth/login', { method: 'POST', body: '{}' }));
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=1800(;|$)/);
    expect(await res.json()).toEqual({ expires_in: 1800, user: { id: 1 } });
  });

  it('passes failed logins through without touching cookies', async () => {
    backend.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'Incorrect email or password' }));
    });
    const res = await route.POST(req('/api/auth/login', { method: 'POST', body: '{}' }));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Incorrect email or password' });
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('clears the cookie when the backend rejects the session', async () => {
    backend.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'Could not validate credentials' }));
    });
    const res = await route.GET(req('/api/tasks', { cookie: `${SESSION_COOKIE}=expired` }));
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
  });

  it('passes POST /api/auth/logout on with the token (the backend revokes it) and clears the cookie', async () => {
    const res = await route.POST(req('/api/auth/logout', { method: 'POST', cookie: `${SESSION_COOKIE}=tok` }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0$`));
    expect(backend.seen.map((s) => [s.method, s.url, s.headers.authorization])).toEqual([['POST', '/api/auth/logout', 'Bearer tok']]);
  });

  it('clears the cookie on logout even when the backend does not answer', async () => {
    process.env.BACKEND_URL = `http://127.0.0.1:${await deadPort()}`;
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await route.POST(req('/api/auth/logout', { method: 'POST', cookie: `${SESSION_COOKIE}=tok` }));
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
  });

  it('refuses a cross-site logout like every other state change', async () => {
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'http://evil.localhost:3000' }] as Record<string, string>[]) {
      const res = await route.POST(req('/api/auth/logout', { method: 'POST', cookie: `${SESSION_COOKIE}=tok`, headers }));
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(backend.seen).toHaveLength(0);
  });

  it('names the cookie __Host-todo_session when it is Secure, reads either, and clears what was sent', async () => {
    backend.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'opaque', token_type: 'bearer' }));
    });
    process.env.SESSION_COOKIE_SECURE = 'true';
    const login = await route.POST(req('/api/auth/login', { method: 'POST', body: '{}' }));
    expect(login.headers.get('set-cookie')).toMatch(new RegExp(`^${SECURE_SESSION_COOKIE}=opaque; Path=/; HttpOnly; SameSite=Lax; Max-Age=\\d+; Secure$`));
    backend.handle(defaultHandler);
    await route.GET(req('/api/tasks', { cookie: `${SECURE_SESSION_COOKIE}=hosttok` }));
    expect(backend.seen.at(-1)!.headers.authorization).toBe('Bearer hosttok');
    const out = await route.POST(req('/api/auth/logout', { method: 'POST', cookie: `${SESSION_COOKIE}=old; ${SECURE_SESSION_COOKIE}=hosttok` }));
    const cleared = out.headers.getSetCookie();
    expect(cleared).toHaveLength(2);
    expect(cleared).toContain(`${SECURE_SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure`);
    expect(cleared).toContain(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure`);
  });

  it("passes the client's address on (X-Forwarded-For from the ingress, X-Real-IP)", async () => {
    await route.POST(req('/api/auth/login', { method: 'POST', body: '{}', headers: { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' } }));
    expect(backend.seen[0].headers['x-forwarded-for']).toBe('203.0.113.7');
    expect(backend.seen[0].headers['x-real-ip']).toBe('203.0.113.7');
  });

  it.each([
    [204, ''],
    [404, '{"detail":"Task not found"}'],
    [409, '{"detail":"Email already registered"}'],
    [422, '{"detail":[{"loc":["body","title"],"msg":"Field required","type":"missing"}]}'],
    [500, '{"detail":"Internal Server Error"}'],
  ])('passes status %i and its body through', async (status, body) => {
    backend.handle((_req, res) => {
      res.writeHead(status, body ? { 'content-type': 'application/json' } : {});
      res.end(body);
    });
    const res = await route.DELETE(req('/api/tasks/1', { method: 'DELETE' }));
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(body);
  });

  it('rewrites backend redirects to this origin', async () => {
    backend.handle((_req, res) => {
      res.writeHead(307, { location: `${backend.url}/api/tasks` });
      res.end();
    });
    const res = await route.GET(req('/api/tasks/'));
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('/api/tasks');
  });

  it('answers 502 with a detail when the backend is down', async () => {
    process.env.BACKEND_URL = `http://127.0.0.1:${await deadPort()}`;
    const res = await route.GET(req('/api/tasks'));
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.detail).toMatch(/^backend unreachable: .*ECONNREFUSED/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers 504 when the backend is too slow', async () => {
    process.env.BACKEND_TIMEOUT_MS = '100';
    backend.handle((_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.end('{}');
      }, 1000);
    });
    const res = await route.GET(req('/api/chat'));
    expect(res.status).toBe(504);
    const detail = (await res.json()).detail;
    expect(detail).toMatch(/backend timeout/);
    expect(detail).not.toContain(backend.url);
    expect(detail).not.toContain('127.0.0.1');
  });

  it('reads BACKEND_URL on every call', async () => {
    const other = await startBackend();
    try {
      await route.GET(req('/api/tasks'));
      process.env.BACKEND_URL = `${other.url}/`;
      await route.GET(req('/api/tasks?q=2'));
      expect(backend.seen.map((s) => s.url)).toEqual(['/api/tasks']);
      expect(other.seen.map((s) => s.url)).toEqual(['/api/tasks?q=2']);
    } finally {
      await other.close();
    }
  });

  it('decides Secure from configuration, not from a client-supplied X-Forwarded-Proto', async () => {
    backend.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'opaque', token_type: 'bearer' }));
    });
    const login = () =>
      route.POST(req('/api/auth/login', { method: 'POST', body: '{}', headers: { 'x-forwarded-proto': 'https' } }));
    expect((await login()).headers.get('set-cookie')).not.toMatch(/Secure/);
    process.env.SESSION_COOKIE_SECURE = 'true';
    expect((await login()).headers.get('set-cookie')).toMatch(/^__Host-todo_session=opaque; .*; Secure$/);
    process.env.SESSION_COOKIE_SECURE = 'false';
    const https = await route.POST(req('/api/auth/login', { method: 'POST', body: '{}' }, 'https://todo.example'));
    expect(https.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('refuses unsafe cross-site requests (CSRF) without calling the backend', async () => {
    const post = (headers: Record<string, string>) =>
      route.POST(req('/api/tasks/1/complete', { method: 'POST', cookie: `${SESSION_COOKIE}=tok`, headers }));
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-site', origin: 'http://evil.localhost:3000' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'http://sibling.localhost:3000' },
      { origin: 'null' },
    ];
    for (const headers of crossSite) {
      const res = await post(headers);
      expect(res.status).toBe(403);
      expect((await res.json()).detail).toMatch(/^Forbidden: cross-/);
    }
    expect(backend.seen).toHaveLength(0);
    expect((await post({ 'sec-fetch-site': 'same-origin', origin: 'http://localhost:3000' })).status).toBe(200);
    expect((await post({ origin: 'http://localhost:3000' })).status).toBe(200);
    expect((await post({})).status).toBe(200); // not a browser: curl, API clients
    expect((await route.GET(req('/api/tasks', { headers: { 'sec-fetch-site': 'cross-site' } }))).status).toBe(200);
    expect(backend.seen).toHaveLength(4);
  });

  it('stops reading a streamed body at the limit', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const res = await route.POST(
      new Request('http://localhost:3000/api/chat', { method: 'POST', body: endless, duplex: 'half' } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(backend.seen).toHaveLength(0);
    expect(pulled).toBeLessThan(4); // 64 KiB is one chunk; the stream was not drained
    expect(inflightBodyBytes()).toBe(0);
  });

  it('refuses bodies over 64 KiB without calling the backend; 64 KiB itself passes', async () => {
    const res = await route.POST(req('/api/chat', { method: 'POST', body: 'x'.repeat(64 * 1024 + 1) }));
    expect(res.status).toBe(413);
    expect(backend.seen).toHaveLength(0);
    expect((await route.POST(req('/api/chat', { method: 'POST', body: 'x'.repeat(64 * 1024) }))).status).toBe(200);
  });

  it('counts the bytes it reads: a Content-Length that understates the body does not get it through', async () => {
    const big = new TextEncoder().encode('x'.repeat(100 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 16 * 1024) controller.enqueue(big.slice(i, i + 16 * 1024));
        controller.close();
      },
    });
    const res = await route.POST(
      new Request('http://localhost:3000/api/chat', { method: 'POST', body: stream, headers: { 'content-length': '10' }, duplex: 'half' } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(backend.seen).toHaveLength(0);
  });

  it('answers 503 past the in-flight byte budget instead of holding more, and gives the budget back', async () => {
    process.env.PROXY_MAX_INFLIGHT_BYTES = String(100 * 1024);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    backend.handle((_req, res) => {
      void gate.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const body = 'x'.repeat(60 * 1024);
    const first = route.POST(req('/api/tasks', { method: 'POST', body }));
    while (backend.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(inflightBodyBytes()).toBe(60 * 1024);
    const second = await route.POST(req('/api/tasks', { method: 'POST', body }));
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await second.json()).detail).toMatch(/too many request bodies in flight/);
    release();
    expect((await first).status).toBe(200);
    expect(inflightBodyBytes()).toBe(0);
    expect((await route.POST(req('/api/tasks', { method: 'POST', body }))).status).toBe(200);
    expect(backend.seen).toHaveLength(2);
  });
});

describe('/api/health', () => {
  it('answers itself, without a backend', async () => {
    process.env.BACKEND_URL = 'http://127.0.0.1:1';
    const res = health.GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('/api/ready', () => {
  it('answers itself, without a backend (the readiness probe; /api/health is liveness)', async () => {
    process.env.BACKEND_URL = 'http://127.0.0.1:1';
    const res = ready.GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });
});
