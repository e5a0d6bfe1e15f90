/**
 * The sync marker. A pod that received files from the dev loop no longer runs what its image holds, so
 * the loop annotates it (SYNC_ANNOTATION, with the time of its first sync). The deploy's release step
 * (deploy/steps/release.ts) looks for the marker before it trusts its real-state skip: marked pods are
 * replaced by image-built ones (their workloads are restarted), so a synced pod is never taken for a
 * clean deploy. Only the dev loop's own passes (DeployRun option keepSyncedPods) leave them.
 */
import { PodSummary, releaseSelector, summarisePods } from './pods';
import { ClusterError } from '@todo/cluster';

export const SYNC_ANNOTATION = 'todo.dev/synced-at';

export type KubectlCapture = (args: string[]) => { status: number; stdout: string; stderr: string };

/** Pods that carry the sync marker (and are not already going away). */
export function syncedPods(pods: PodSummary[]): PodSummary[] {
  return pods.filter((p) => !p.deleting && p.annotations[SYNC_ANNOTATION] !== undefined);
}

/** The workloads to restart so that no marked pod is left: "deployment/<name>" (or statefulset/...), once each. */
export function workloadsOf(pods: PodSummary[]): string[] {
  return [...new Set(pods.filter((p) => p.workload).map((p) => `${p.workload!.kind.toLowerCase()}/${p.workload!.name}`))].sort();
}

/** The release's pods that carry the marker. Throws when the pods cannot be listed. */
export function findSyncedPods(kubectl: KubectlCapture, namespace: string, release: string): PodSummary[] {
  const r = kubectl(['-n', namespace, 'get', 'pods', '-l', releaseSelector(release), '-o', 'json']);
  if (r.status !== 0) throw new ClusterError('pods', `cannot list the pods of ${release} in ${namespace}: ${r.stderr.trim().split('\n').pop() ?? ''}`, 'check the cluster is up and reachable: nx run cluster:cluster-status');
  return syncedPods(summarisePods(r.stdout));
}

/** Milliseconds of a Go duration such as 5m, 90s or 1h30m (Helm's --timeout); 5 minutes when unreadable. */
export const durationMs = (d: string) =>
  [...d.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)].reduce((ms, [, n, u]) => ms + Number(n) * { h: 3600e3, m: 60e3, s: 1e3 }[u as 'h' | 'm' | 's'], 0) || 300e3;

/**
 * Restarts the workloads of the marked pods and waits until none is left and their replacements are
 * Ready: the replacements start from the image, with nothing synced. False (said through `log`) when
 * a restart fails or the replacements are not Ready in time.
 */
export async function replaceSyncedPods(kubectl: KubectlCapture, namespace: string, release: string, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const marked = findSyncedPods(kubectl, namespace, release);
  if (marked.length === 0) return true;
  const workloads = workloadsOf(marked);
  log(`pods ${marked.map((p) => p.name).join(', ')} run files synced by the dev loop: kubectl rollout restart ${workloads.join(' ')}`);
  for (const w of workloads) {
    const r = kubectl(['-n', namespace, 'rollout', 'restart', w]);
    if (r.status !== 0) {
      log(`kubectl rollout restart ${w} failed: ${r.stderr.trim()}`);
      return false;
    }
  }
  const names = new Set(workloads.map((w) => w.split('/')[1]));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const r = kubectl(['-n', namespace, 'get', 'pods', '-l', releaseSelector(release), '-o', 'json']);
    if (r.status !== 0) continue;
    const pods = summarisePods(r.stdout).filter((p) => !p.deleting && p.workload && names.has(p.workload.name));
    if (syncedPods(pods).length === 0 && pods.length > 0 && pods.every((p) => p.ready)) return true;
  }
  log(`the restarted pods of ${workloads.join(', ')} were not Ready within ${Math.round(timeoutMs / 1000)}s`);
  return false;
}
