/**
 * The dashboard's HTTP server, inside the process that runs the loop (no server process of its own):
 *
 *   GET  /                 the page (static/index.html with this session's token in a meta tag)
 *   GET  /app.js, /app.css the page's script and style (no framework, no build step)
 *   GET  /events?token=…   Server-Sent Events: the whole state, then one message per batch of patches
 *   POST /api/actions      {"kind":"rebuild"|"restart"|"deploy","service"?} -> 202 {id}
 *
 * Bound to 127.0.0.1 only. Every request must name this server in its Host header (127.0.0.1:<port>
 * or localhost:<port>), so a DNS name rebound to 127.0.0.1 by another site gets nothing. A request that
 * changes something also needs the session's token in `X-Dashboard-Token`, a JSON body, and no
 * cross-site Origin or Sec-Fetch-Site: another site open in the same browser can neither read the
 * token (same-origin policy) nor send the header without a CORS preflight, which this server never
 * grants.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import type { ActionKind, DashboardState, Patch } from './state';

export interface ActionRequest {
  kind: ActionKind;
  service?: string;
}

export interface DashboardServerOptions {
  state: DashboardState;
  /** 0 picks a free port (tests). */
  port: number;
  /** Runs an action the page asked for; returns its id at once (progress goes through the state). */
  act: (request: ActionRequest) => number;
  /** Milliseconds patches are gathered before one SSE message (keeps a busy log cheap). */
  flushMs?: number;
}

export interface DashboardServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const STATIC = join(__dirname, '..', 'static');
const TYPES: Record<string, string> = { '/app.js': 'text/javascript; charset=utf-8', '/app.css': 'text/css; charset=utf-8' };
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const sameToken = (given: string | undefined, token: string) => !!given && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));

/** Why a request that changes something is refused, or undefined when it may go on. */
export function refusal(req: Pick<IncomingMessage, 'headers'>, token: string, origin: string): string | undefined {
  const h = req.headers;
  if (h['sec-fetch-site'] && h['sec-fetch-site'] !== 'same-origin') return `cross-site request refused (Sec-Fetch-Site: ${h['sec-fetch-site']})`;
  if (h.origin && h.origin !== origin) return `cross-site request refused (Origin: ${h.origin})`;
  if (!sameToken(h['x-dashboard-token'] as string | undefined, token)) return 'missing or wrong X-Dashboard-Token: reload the dashboard page';
  if (!String(h['content-type'] ?? '').startsWith('application/json')) return 'the body must be JSON (Content-Type: application/json)';
  return undefined;
}

function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
      if (body.length > limit) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Listens on 127.0.0.1:port; rejects with a message naming the port and the fix when it is taken. */
export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const token = randomBytes(24).toString('hex');
  const page = readFileSync(join(STATIC, 'index.html'), 'utf8');
  const files = Object.fromEntries(Object.keys(TYPES).map((f) => [f, readFileSync(join(STATIC, f.slice(1)), 'utf8')]));
  const clients = new Set<ServerResponse>();
  let queue: Patch[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const batch = queue;
    queue = [];
    const message = `event: patch\ndata: ${JSON.stringify(batch)}\n\n`;
    for (const c of clients) c.write(message);
  };
  const unsubscribe = o.state.subscribe((p) => {
    if (clients.size === 0) return;
    queue.push(p);
    timer ??= setTimeout(flush, o.flushMs ?? 100);
  });

  let port = o.port;
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const origin = () => `http://127.0.0.1:${port}`;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const host = req.headers.host ?? '';
      if (!hosts().includes(host)) return send(res, 421, `this dashboard answers only as http://127.0.0.1:${port}/ (Host: ${host || 'none'})`);
      const url = new URL(req.url ?? '/', origin());
      const allowedOrigin = host.startsWith('localhost') ? `http://localhost:${port}` : origin();
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
        return send(res, 200, page.replace('__TOKEN__', token), 'text/html; charset=utf-8');
      }
      if (req.method === 'GET' && url.pathname === '/favicon.ico') return send(res, 204, '');
      if (req.method === 'GET' && TYPES[url.pathname]) return send(res, 200, files[url.pathname], TYPES[url.pathname]);
      if (req.method === 'GET' && url.pathname === '/events') {
        if (!sameToken(url.searchParams.get('token') ?? undefined, token)) return send(res, 403, 'missing or wrong token: reload the dashboard page');
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
        res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(o.state.snapshot())}\n\n`);
        clients.add(res);
        const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(beat);
          clients.delete(res);
        });
        return undefined;
      }
      if (url.pathname === '/api/actions') {
        if (req.method !== 'POST') return send(res, 405, 'POST only');
        const refused = refusal(req, token, allowedOrigin);
        if (refused) return send(res, 403, refused);
        let request: ActionRequest;
        try {
          request = JSON.parse(await readBody(req)) as ActionRequest;
        } catch {
          return send(res, 400, 'the body is not JSON');
        }
        if (!['rebuild', 'restart', 'deploy'].includes(request.kind)) return send(res, 400, `unknown action ${String(request.kind)}: rebuild, restart or deploy`);
        if (!o.state.snapshot().info.actions.includes(request.kind)) return send(res, 400, `${request.kind} is not available here`);
        if (request.kind !== 'deploy' && !(typeof request.service === 'string' && o.state.hasService(request.service))) return send(res, 400, `unknown service ${String(request.service)}`);
        const id = o.act({ kind: request.kind, ...(request.kind === 'deploy' ? {} : { service: request.service }) });
        return send(res, 202, JSON.stringify({ id }), 'application/json');
      }
      return send(res, 404, 'not found');
    })().catch((e: Error) => send(res, 500, e.message));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `port ${o.port} on 127.0.0.1 is in use: pass --uiPort=<another port>, or --ui=false to run without the dashboard` : `dashboard: ${e.message}`)),
    );
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  // The page keeps its event stream open: closing must not wait for it.
  server.unref();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    async close() {
      unsubscribe();
      if (timer) clearTimeout(timer);
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
