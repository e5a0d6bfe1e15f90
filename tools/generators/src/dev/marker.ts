/**
 * The sync marker. A pod that received files from the dev loop no longer runs what its image holds, so
 * the loop annotates it (SYNC_ANNOTATION, with the time of the last sync). deploy-<env>'s release step
 * looks for the marker before it trusts its real-state skip: marked pods are replaced by image-built
 * ones (their workloads are restarted), so a synced pod is never taken for a clean deploy.
 */
export const SYNC_ANNOTATION = 'todo.dev/synced-at';

export interface PodSummary {
  name: string;
  uid: string;
  component: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
  /** The owning workload: Deployment name (from the ReplicaSet) or StatefulSet name. */
  workload?: { kind: 'Deployment' | 'StatefulSet'; name: string };
  annotations: Record<string, string>;
  /** Each container: name, restarts, and why it waits or last terminated (CrashLoopBackOff, Error...). */
  containers: { name: string; restarts: number; running: boolean; waiting?: string; lastExit?: string }[];
}

interface PodJson {
  metadata: { name: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount?: number; state?: { running?: object; waiting?: { reason?: string; message?: string } }; lastState?: { terminated?: { reason?: string; exitCode?: number } } }[];
  };
}

/** `kubectl get pods -o json` of a release, summarised. */
export function summarisePods(json: string): PodSummary[] {
  const items = (JSON.parse(json) as { items?: PodJson[] }).items ?? [];
  return items.map((p) => {
    const owner = p.metadata.ownerReferences?.[0];
    const workload =
      owner?.kind === 'ReplicaSet'
        ? { kind: 'Deployment' as const, name: owner.name.replace(/-[a-z0-9]+$/, '') }
        : owner?.kind === 'StatefulSet'
          ? { kind: 'StatefulSet' as const, name: owner.name }
          : undefined;
    return {
      name: p.metadata.name,
      uid: p.metadata.uid,
      component: p.metadata.labels?.['app.kubernetes.io/component'] ?? '',
      phase: p.status?.phase ?? 'Unknown',
      ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      deleting: !!p.metadata.deletionTimestamp,
      workload,
      annotations: p.metadata.annotations ?? {},
      containers: (p.status?.containerStatuses ?? []).map((c) => ({
        name: c.name,
        restarts: c.restartCount ?? 0,
        running: !!c.state?.running,
        waiting: c.state?.waiting?.reason,
        lastExit: c.lastState?.terminated ? `${c.lastState.terminated.reason ?? 'exited'} (exit ${c.lastState.terminated.exitCode ?? '?'})` : undefined,
      })),
    };
  });
}

/** Pods that carry the sync marker (and are not already going away). */
export function syncedPods(pods: PodSummary[]): PodSummary[] {
  return pods.filter((p) => !p.deleting && p.annotations[SYNC_ANNOTATION] !== undefined);
}

/** The workloads to restart so that no marked pod is left: "deployment/<name>" (or statefulset/...), once each. */
export function workloadsOf(pods: PodSummary[]): string[] {
  return [...new Set(pods.filter((p) => p.workload).map((p) => `${p.workload!.kind.toLowerCase()}/${p.workload!.name}`))].sort();
}

/** Selector of every pod of a Helm release made from our chart. */
export const releaseSelector = (release: string) => `app.kubernetes.io/instance=${release}`;

export type KubectlCapture = (args: string[]) => { status: number; stdout: string; stderr: string };

/** The release's pods that carry the marker. Throws when the pods cannot be listed. */
export function findSyncedPods(kubectl: KubectlCapture, namespace: string, release: string): PodSummary[] {
  const r = kubectl(['-n', namespace, 'get', 'pods', '-l', releaseSelector(release), '-o', 'json']);
  if (r.status !== 0) throw new Error(`cannot list the pods of ${release} in ${namespace}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return syncedPods(summarisePods(r.stdout));
}

/**
 * Restarts the workloads of the marked pods and waits until none is left and their replacements are
 * Ready: the replacements start from the image, with nothing synced.
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
