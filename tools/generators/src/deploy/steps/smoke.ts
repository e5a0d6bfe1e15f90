/**
 * Step "smoke check", through the ingress: the login page (the frontend renders), and the task API
 * without a session, which only the backend answers with 401 (the frontend's proxy reached it). The
 * database is already proven by the backend pods being Ready (their readiness probe runs SELECT 1).
 */
import { ClusterError, httpStatus, kindOptions, minikubeOptions } from '@todo/cluster';
import type { ClusterTarget, KindOptions } from '@todo/cluster';
import { smokeAttempt } from '../progress';
import type { DeployRun } from '../run';
import type { Step } from '../step';

export const SMOKE_CHECKS: { path: string; expect: number }[] = [
  { path: '/login', expect: 200 },
  { path: '/api/tasks', expect: 401 },
];

/** Where the ingress listens: kind and minikube publish it on the host (cluster-up); a real cluster at its host name. */
export function ingressAddress(run: DeployRun): { address: string; port: number } {
  return ingressAddressFor(run.cluster, run.env.host, run.kind);
}

/** The same for any environment's cluster (the load test); kind's from its options (KIND_HTTP_PORT...). */
export function ingressAddressFor(cluster: ClusterTarget, host: string, kind?: KindOptions): { address: string; port: number } {
  if (cluster.type === 'kind') {
    const o = kind ?? kindOptions(cluster.name);
    return { address: ['0.0.0.0', '::'].includes(o.listenAddress) ? '127.0.0.1' : o.listenAddress, port: o.httpPort };
  }
  if (cluster.type === 'minikube') {
    const o = minikubeOptions(cluster.name);
    return { address: o.listenAddress, port: o.httpPort };
  }
  return { address: host, port: 80 };
}

export function appUrl(run: DeployRun): string {
  const { port } = ingressAddress(run);
  return `http://${run.env.host}${port === 80 ? '' : `:${port}`}/`;
}

export const smokeStep: Step<DeployRun> = {
  name: 'smoke check',
  needed: (run) => ({ needed: true, reason: `GET ${SMOKE_CHECKS.map((c) => `${c.path} (${c.expect})`).join(', ')} on ${appUrl(run)} through the ingress` }),
  async run(run) {
    if (run.dryRun) return true;
    const { address, port } = ingressAddress(run);
    const deadline = Date.now() + 60_000;
    const attempt = smokeAttempt(SMOKE_CHECKS);
    let last: number[] = [];
    while (Date.now() < deadline) {
      last = await Promise.all(SMOKE_CHECKS.map((c) => httpStatus({ address, port, path: c.path, host: run.env.host })));
      if (attempt(last)) return true;
      // Right after a rollout the ingress may still route to the old pod for a moment: ask again soon
      // (two local GETs per attempt) rather than a whole second later.
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new ClusterError(
      'smoke check',
      `${appUrl(run)} did not answer as expected within 60 s (${SMOKE_CHECKS.map((c, i) => `${c.path}: ${last[i] || 'no answer'}, expected ${c.expect}`).join('; ')})`,
      `404 everywhere: the Ingress host is not ${run.env.host} or the ingress controller is not ready (\`kubectl -n ${run.namespace} get ingress\`); 502/503 on /api/tasks: the frontend cannot reach the backend (\`kubectl -n ${run.namespace} logs deploy/${run.release}-frontend\`); no answer: nothing listens on ${address}:${port} (\`nx run cluster:cluster-status\`); see docs/troubleshooting.md`,
    );
  },
};
