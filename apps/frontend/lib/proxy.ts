/*
 * Server-side proxy from this origin's /api/* to the backend (BACKEND_URL, read on every request).
 *
 * - The JWT lives in an httpOnly cookie: the login/signup responses are intercepted, the token is moved
 *   into the cookie and removed from the JSON the browser sees; every proxied request gets
 *   `Authorization: Bearer <cookie>`. POST /api/auth/logout is passed on (the backend revokes the
 *   token) and the cookie is cleared whatever the backend says. Over HTTPS the cookie is `__Host-`.
 * - Connection failures become 502 `{detail: "backend unreachable: ..."}`, timeouts 504.
 * - X-Request-ID is taken from the caller when sane, generated otherwise, sent to the backend and returned.
 * - Unsafe methods from another site are refused (403), logout included: the browser's Sec-Fetch-Site,
 *   else Origin, must say this origin. SameSite=Lax alone let a sibling subdomain post a body-less form.
 * - Request bodies are read as a stream and refused (413) as soon as they pass MAX_BODY_BYTES (the
 *   largest valid request is about 21 KB); a Content-Length is not trusted to be true. All bodies being
 *   read or waiting for the backend share one byte budget (PROXY_MAX_INFLIGHT_BYTES): past it the
 *   request gets 503, so a flood of slow uploads costs a retry, not the pod (an out-of-memory kill).
 * - The client's address reaches the backend in X-Forwarded-For: the ingress's header is passed on, and
 *   Next's server sets it to the TCP peer when absent. The backend believes it only from this pod's
 *   network (TRUSTED_PROXIES).
 */
import { SECURE_SESSION_COOKIE, SESSION_COOKIE, sessionCookieName, sessionToken } from './session';

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8000';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_SESSION_MAX_AGE_S = 24 * 60 * 60;
export const MAX_BODY_BYTES = 64 * 1024;
/** Bytes of request bodies held at once by this process (default: 256 bodies at the limit). */
export const DEFAULT_MAX_INFLIGHT_BYTES = 16 * 1024 * 1024;

/** Answers carrying a token that goes into the cookie: sign-in, sign-up, and a password change (which
 *  ends every other session and hands this one a new token). */
const TOKEN_ROUTES = new Set(['/api/auth/login', '/api/auth/signup', '/api/auth/password']);
const LOGOUT_ROUTE = '/api/auth/logout';

/** Request headers passed on to the backend; everything else (cookies included) stays here. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'user-agent',
  'if-match',
  'if-none-match',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
];

/** Response headers not passed back: hop-by-hop ones, ones fetch() already consumed, and cookies. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-encoding',
  'content-length',
  'set-cookie',
]);

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function backendUrl(): string {
  return (process.env.BACKEND_URL?.trim() || DEFAULT_BACKEND_URL).replace(/\/+$/, '');
}

function maxInflightBytes(): number {
  const n = Number(process.env.PROXY_MAX_INFLIGHT_BYTES);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : DEFAULT_MAX_INFLIGHT_BYTES;
}

/** Request-body bytes held by this process right now (read, or waiting to be sent to the backend). */
let inflightBytes = 0;

/** For tests and metrics: the bytes currently held. */
export function inflightBodyBytes(): number {
  return inflightBytes;
}

function timeoutMs(): number {
  const n = Number(process.env.BACKEND_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_TIMEOUT_MS;
}

export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value) || undefined;
      } catch {
        return value || undefined;
      }
    }
  }
  return undefined;
}

export function requestIdFor(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
}

/**
 * Whether the session cookie gets `Secure`, from SESSION_COOKIE_SECURE: `true`/`false`; `proxy` to take
 * X-Forwarded-Proto from the TLS-terminating ingress (only when every request comes through it: a
 * client can send that header too); unset: the scheme of the request URL this server sees.
 */
export function isSecureRequest(request: Request): boolean {
  const mode = process.env.SESSION_COOKIE_SECURE?.trim().toLowerCase();
  if (mode === 'true' || mode === '1') return true;
  if (mode === 'false' || mode === '0') return false;
  if (mode === 'proxy') {
    const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    if (forwarded) return forwarded === 'https';
  }
  return new URL(request.url).protocol === 'https:';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for unsafe methods: a browser says where a request comes from. `Sec-Fetch-Site` must be
 * same-origin (or none: typed by the user); without it, `Origin` must be this origin. Requests with
 * neither header are not from a browser (curl, API clients) and carry no ambient cookie risk.
 */
export function crossSiteRefusal(request: Request, method: string): string | undefined {
  if (SAFE_METHODS.has(method)) return undefined;
  const site = request.headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (site) return site === 'same-origin' || site === 'none' ? undefined : `cross-site request (Sec-Fetch-Site: ${site})`;
  const origin = request.headers.get('origin');
  if (!origin) return undefined;
  const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() || request.headers.get('host') || new URL(request.url).host;
  try {
    if (origin !== 'null' && new URL(origin).host === host) return undefined;
  } catch {
    // not a URL: refused below
  }
  return `cross-origin request (Origin: ${origin.slice(0, 100)})`;
}

export type BodyRead =
  | { kind: 'ok'; body: Uint8Array<ArrayBuffer>; held: number }
  | { kind: 'too-large'; held: number }
  | { kind: 'busy'; held: number };

/**
 * The body, read chunk by chunk; stops as soon as it passes `limit` bytes ('too-large') or the process's
 * in-flight budget would ('busy'); the rest is not read. Every byte read is charged to the budget and
 * stays charged (`held`) until the caller calls releaseBody: the buffer lives until the backend has it.
 */
export async function readLimited(request: Request, limit: number, budget = maxInflightBytes()): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return { kind: 'too-large', held: 0 };
  if (!request.body) return { kind: 'ok', body: new Uint8Array(0), held: 0 };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stop = async (kind: 'too-large' | 'busy'): Promise<BodyRead> => {
    await reader.cancel().catch(() => undefined);
    return { kind, held: size };
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) return stop('too-large');
    if (inflightBytes + value.byteLength > budget) return stop('busy');
    inflightBytes += value.byteLength;
    size += value.byteLength;
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { kind: 'ok', body: out, held: size };
}

/** Gives back what readLimited charged to the in-flight budget. */
export function releaseBody(read: BodyRead): void {
  inflightBytes = Math.max(0, inflightBytes - read.held);
  read.held = 0;
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean, name = sessionCookieName(secure)): string {
  return [
    `${name}=${encodeURIComponent(token)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** Set-Cookie headers that end the session: every session cookie the request carried, and this scheme's. */
function clearSession(headers: Headers, request: Request, secure: boolean): void {
  const cookie = request.headers.get('cookie');
  const sent = [SECURE_SESSION_COOKIE, SESSION_COOKIE].filter((name) => readCookie(cookie, name) !== undefined);
  for (const name of new Set([sessionCookieName(secure), ...sent])) {
    // A __Host- cookie can only be set (or cleared) with Secure.
    headers.append('set-cookie', sessionCookie('', 0, name === SECURE_SESSION_COOKIE || secure, name));
  }
}

/**
 * Cookie lifetime: the response's `expires_in` when given, else until the JWT's `exp` (read, not
 * verified: the backend does that), else a day.
 */
export function sessionMaxAge(token: string, expiresIn?: unknown, nowMs = Date.now()): number {
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0) return Math.floor(expiresIn);
  try {
    const payload = token.split('.')[1];
    if (payload) {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof claims.exp === 'number') return Math.max(0, Math.floor(claims.exp - nowMs / 1000));
    }
  } catch {
    // not a JWT we can read: fall back to the default
  }
  return DEFAULT_SESSION_MAX_AGE_S;
}

function json(status: number, body: unknown, headers: Headers = new Headers()): Response {
  headers.set('content-type', 'application/json');
  headers.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers });
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return err instanceof Error ? err.message : String(err);
}

export async function proxy(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const requestId = requestIdFor(request);
  const secure = isSecureRequest(request);
  const base = new Headers({ 'x-request-id': requestId });

  const logout = url.pathname === LOGOUT_ROUTE;
  if (logout && method !== 'POST') {
    base.set('allow', 'POST');
    return json(405, { detail: 'Method Not Allowed' }, base);
  }

  const refusal = crossSiteRefusal(request, method);
  if (refusal) return json(403, { detail: `Forbidden: ${refusal}` }, base);

  const backend = backendUrl();
  const target = `${backend}${url.pathname}${url.search}`;

  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set('x-request-id', requestId);
  // One connection per proxied request. The backend's Service balances connections, not requests
  // (kube-proxy picks a pod when a connection opens): kept-alive connections stayed on the pods that
  // existed when they opened, so pods the autoscaler added got little traffic, and a request sent on a
  // pooled connection just as a terminating pod closed it failed during rollouts and node drains. A new
  // connection inside the cluster costs well under a millisecond; see docs/scaling.md.
  headers.set('connection', 'close');
  const token = sessionToken((name) => readCookie(request.headers.get('cookie'), name));
  const incomingAuth = request.headers.get('authorization');
  if (token) headers.set('authorization', `Bearer ${token}`);
  else if (incomingAuth) headers.set('authorization', incomingAuth);

  let read: BodyRead = { kind: 'ok', body: new Uint8Array(0), held: 0 };
  if (method !== 'GET' && method !== 'HEAD') {
    read = await readLimited(request, MAX_BODY_BYTES);
    if (read.kind === 'too-large') {
      releaseBody(read);
      return json(413, { detail: `request body larger than ${MAX_BODY_BYTES} bytes` }, base);
    }
    if (read.kind === 'busy') {
      releaseBody(read);
      base.set('retry-after', '1');
      return json(503, { detail: 'server busy: too many request bodies in flight; retry shortly' }, base);
    }
  }
  const body = read.kind === 'ok' && read.body.byteLength > 0 ? read.body : undefined;

  if (logout) {
    // The backend revokes the token; the cookie goes whatever it answers (an older backend: 404).
    try {
      if (token || incomingAuth) {
        await fetch(target, { method, headers, redirect: 'manual', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs()) }).then((r) => r.body?.cancel());
      }
    } catch (err) {
      console.error(`proxy: logout not passed on to ${backend}: ${describeFetchError(err)} (request ${requestId})`);
    } finally {
      releaseBody(read);
    }
    clearSession(base, request, secure);
    return json(200, { status: 'ok' }, base);
  }

  const limit = timeoutMs();
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method,
      headers,
      body,
      redirect: 'manual',
      cache: 'no-store',
      signal: AbortSignal.timeout(limit),
    });
  } catch (err) {
    releaseBody(read);
    const name = (err as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      // The backend's address is internal: it stays out of the answer (it is in the server log).
      console.error(`proxy: no answer from ${backend} within ${limit} ms (request ${requestId})`);
      return json(504, { detail: `backend timeout: no answer within ${limit} ms` }, base);
    }
    return json(502, { detail: `backend unreachable: ${describeFetchError(err)}` }, base);
  }

  releaseBody(read);
  const out = new Headers();
  upstream.headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) out.set(name, value);
  });
  out.set('x-request-id', requestId);
  if (!out.has('cache-control')) out.set('cache-control', 'no-store');
  const location = out.get('location');
  if (location?.startsWith(backend)) out.set('location', location.slice(backend.length) || '/');

  // A session the backend rejects is of no further use: drop it so the app goes back to log in.
  if (upstream.status === 401 && token) clearSession(out, request, secure);

  if (method === 'POST' && TOKEN_ROUTES.has(url.pathname) && upstream.ok) {
    const text = await upstream.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (data && typeof data === 'object' && typeof (data as Record<string, unknown>).access_token === 'string') {
      const { access_token: accessToken, token_type: _tokenType, ...rest } = data as Record<string, unknown>;
      void _tokenType;
      const maxAge = sessionMaxAge(accessToken as string, rest.expires_in);
      out.append('set-cookie', sessionCookie(accessToken as string, maxAge, secure));
      return json(upstream.status, rest, out);
    }
    return new Response(text, { status: upstream.status, headers: out });
  }

  const noBody = method === 'HEAD' || upstream.status === 204 || upstream.status === 304;
  return new Response(noBody ? null : upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
