/** The app's API through a kind cluster's ingress on 127.0.0.1:<port>, as a browser reaches it (Host todo.localhost by default). */
import { request } from 'node:http';

export interface AppResponse {
  status: number;
  body: string;
  /** the first Set-Cookie, "name=value" */
  cookie?: string;
}

export function appHttp(port: number, method: string, path: string, opts: { host?: string; body?: unknown; cookie?: string } = {}): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: opts.host ?? 'todo.localhost',
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
        },
        timeout: 20_000,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => {
          const set = res.headers['set-cookie']?.[0];
          resolve({ status: res.statusCode ?? 0, body: data, cookie: set?.split(';')[0] });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(body);
  });
}
