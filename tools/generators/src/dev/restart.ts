/** New pods from the same image: `kubectl rollout restart` of a service's Deployment, waited for (the dashboard's "restart"). */
import type { Children } from './children';
import { KubeScope, kube } from './kube';

/** Returns undefined on success, else what kubectl said; each step's line goes to `say`. */
export async function restartService(children: Children, k: KubeScope, service: string, say: (line: string) => void): Promise<string | undefined> {
  const selector = `app.kubernetes.io/instance=${k.release},app.kubernetes.io/component=${service}`;
  const names = await kube(children, k, ['get', 'deployments', '-l', selector, '-o', 'name']);
  if (names.status !== 0) return (names.stderr || names.stdout).trim();
  const deployments = names.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!deployments.length) return `no Deployment of ${service} (${selector}) in ${k.namespace}`;
  for (const args of [['rollout', 'restart', ...deployments], ...deployments.map((d) => ['rollout', 'status', d, '--timeout=300s'])]) {
    const r = await kube(children, k, args);
    if (r.status !== 0) return `kubectl ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`;
    say(`  ${service}: kubectl ${args.join(' ')}: ${r.stdout.trim().split('\n').pop()}`);
  }
  return undefined;
}
