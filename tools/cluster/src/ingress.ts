/**
 * The ingress controller, pluggable: every *.yaml in INGRESS_MANIFESTS (default tools/cluster/manifests/traefik)
 * is applied with @TRAEFIK_IMAGE@ replaced by TRAEFIK_IMAGE (default versions.json traefik.image, the official
 * image), then each Deployment in them is waited for. Tests point TRAEFIK_IMAGE at the offline-kind build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ClusterError } from './errors';
import { PROJECT_ROOT, versions } from './versions';

export interface IngressManifests {
  yaml: string;
  /** "<namespace>/<name>" of every Deployment, to wait for */
  deployments: string[];
}

export function ingressManifests(env: NodeJS.ProcessEnv = process.env): IngressManifests {
  const dir = env.INGRESS_MANIFESTS || join(PROJECT_ROOT, 'manifests', 'traefik');
  const image = env.TRAEFIK_IMAGE || versions.traefik.image;
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no *.yaml in INGRESS_MANIFESTS=${dir}`);
  const yaml = files.map((f) => readFileSync(join(dir, f), 'utf8').replace(/@TRAEFIK_IMAGE@/g, image)).join('\n---\n');
  return { yaml, deployments: deploymentsIn(yaml) };
}

export function deploymentsIn(yaml: string): string[] {
  const out: string[] = [];
  for (const doc of yaml.split(/^---\s*$/m)) {
    if (!/^kind:\s*Deployment\s*$/m.test(doc)) continue;
    const meta = /^metadata:\s*\n((?:[ \t]+.*\n?)*)/m.exec(doc)?.[1] ?? '';
    const name = /^\s+name:\s*"?([^"\s]+)/m.exec(meta)?.[1];
    const ns = /^\s+namespace:\s*"?([^"\s]+)/m.exec(meta)?.[1] ?? 'default';
    if (name) out.push(`${ns}/${name}`);
  }
  return out;
}

/** Where to ask: the address and port the ingress listens on, and the Host to ask for. */
export interface HttpTarget {
  address: string;
  port: number;
  path: string;
  host: string;
}

/** The HTTP status of one GET through the ingress (0 when nothing answered within 5 s). */
export function httpStatus(t: HttpTarget): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: t.address, port: t.port, path: t.path, headers: { host: t.host }, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Waits until the ingress answers HTTP on the host port (any status: Traefik says 404 for an unknown
 * host). A Ready Traefik pod is not reachable yet until kube-proxy has programmed its NodePort, which
 * lags on a busy machine: "cluster ready" is said only once a request gets through.
 */
export async function waitForIngress(target: HttpTarget, probe: (t: HttpTarget) => Promise<number> = httpStatus, timeoutMs = 60_000, everyMs = 250): Promise<number> {
  const url = `http://${target.address}:${target.port}${target.path}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await probe(target);
    if (status > 0) return status;
    if (Date.now() >= deadline)
      throw new ClusterError(
        'ingress: answer',
        `nothing answered on ${url} within ${Math.round(timeoutMs / 1000)}s, although the ingress controller is Ready`,
        'kubectl -n traefik get pods,svc,endpointslices (the NodePort needs an endpoint) and kubectl -n kube-system logs daemonset/kube-proxy; cluster-down + cluster-up starts over',
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
