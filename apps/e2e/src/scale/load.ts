/**
 * The suite's load: a fixed number of client loops sending the app's hot requests through the ingress
 * (GET /api/tasks mostly, a task created now and then), counting every outcome on the client side:
 * status codes, and requests that got no HTTP answer (refused, reset, timed out). Keep-alive to the
 * ingress, as browsers do. Each request is stamped, so windows (at 1 replica, at 3) can be measured.
 * A user's session is its cookie, as a browser's: the frontend's proxy keeps the token out of the
 * sign-up's answer and sets it as the session cookie (lib/proxy.ts).
 */
import { Agent, request } from 'node:http';

export interface Target {
  port: number;
  host: string;
}

export interface Sample {
  at: number;
  ms: number;
  status: number;
  error?: string;
}

export function call(t: Target, agent: Agent | undefined, method: string, path: string, session?: string, body?: unknown): Promise<{ status: number; body: string; ms: number; error?: string; cookie?: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        method,
        path,
        agent,
        timeout: 30_000,
        headers: {
          host: t.host,
          ...(session ? { cookie: session } : {}),
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - start, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
        res.on('error', (e) => resolve({ status: 0, body: '', ms: performance.now() - start, error: (e as NodeJS.ErrnoException).code ?? e.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve({ status: 0, body: '', ms: performance.now() - start, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(data);
  });
}

/** Signs up a user of its own (retried on 429/5xx while the app warms up); returns its session cookie ("name=value"). */
export async function signUp(t: Target, tag: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const r = await call(t, undefined, 'POST', '/api/auth/signup', undefined, { email: `scale-${tag}-${Date.now()}-${i}@example.com`, password: `pw-${tag}-${Math.random()}` });
    if (r.status === 201 && r.cookie) return r.cookie;
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error('sign-up through the ingress kept failing');
}

export class Load {
  readonly samples: Sample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly t: Target,
    /** session cookies, one per user */
    private readonly sessions: string[],
    /** client loops (requests in flight at most) */
    private readonly concurrency: number,
    /** pause of each loop between its requests */
    private readonly pauseMs: number,
  ) {}

  start(): this {
    this.running = true;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop(i));
    return this;
  }

  private async loop(i: number): Promise<void> {
    const session = this.sessions[i % this.sessions.length];
    let n = 0;
    while (this.running) {
      const create = n++ % 10 === 9;
      const r = create
        ? await call(this.t, this.agent, 'POST', '/api/tasks', session, { title: `load ${i}-${n}` })
        : await call(this.t, this.agent, 'GET', '/api/tasks?limit=20', session);
      this.samples.push({ at: Date.now(), ms: r.ms, status: r.status, error: r.error });
      if (this.pauseMs) await new Promise((res) => setTimeout(res, this.pauseMs));
    }
  }

  async stop(): Promise<Outcome> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
    return outcome(this.samples);
  }

  window(from: number, to: number): Outcome {
    return outcome(this.samples.filter((s) => s.at >= from && s.at < to), (to - from) / 1000);
  }
}

export interface Outcome {
  requests: number;
  /** responses >= 500 */
  serverErrors: number;
  /** no HTTP answer: connection refused */
  refused: number;
  /** no HTTP answer otherwise (reset, timeout) */
  noAnswer: number;
  /** answers other than 200/201 below 500 */
  otherStatus: Record<string, number>;
  rps: number;
  p50: number;
  p99: number;
}

/** Requests a user would have seen fail. */
export const failed = (o: Outcome) => o.serverErrors + o.refused + o.noAnswer;

function outcome(samples: Sample[], seconds?: number): Outcome {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const q = (p: number) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]) : 0);
  const span = seconds ?? (samples.length > 1 ? (samples[samples.length - 1].at - samples[0].at) / 1000 : 1);
  const other: Record<string, number> = {};
  for (const s of samples) if (s.status && s.status < 500 && s.status !== 200 && s.status !== 201) other[s.status] = (other[s.status] ?? 0) + 1;
  return {
    requests: samples.length,
    serverErrors: samples.filter((s) => s.status >= 500).length,
    refused: samples.filter((s) => s.status === 0 && s.error === 'ECONNREFUSED').length,
    noAnswer: samples.filter((s) => s.status === 0 && s.error !== 'ECONNREFUSED').length,
    otherStatus: other,
    rps: Math.round((10 * samples.length) / Math.max(span, 0.001)) / 10,
    p50: q(0.5),
    p99: q(0.99),
  };
}
