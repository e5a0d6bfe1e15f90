/**
 * A release's pods, summarised from `kubectl get pods -o json`: what the sync marker check of the
 * release step (release/sync-marker.ts) and the dev loop's followers (logs, port-forwards, crash
 * reports) read.
 */
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
  /** The node it runs on and when it was created (the dashboard shows them). */
  node?: string;
  createdAt?: string;
  /** Each container: name, restarts, and why it waits or last terminated (CrashLoopBackOff, Error...). */
  containers: { name: string; restarts: number; running: boolean; waiting?: string; lastExit?: string; image?: string }[];
}

interface PodJson {
  metadata: { name: string; uid: string; creationTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string }[] };
  spec?: { nodeName?: string; containers?: { name: string; image: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount?: number; state?: { running?: object; waiting?: { reason?: string; message?: string } }; lastState?: { terminated?: { reason?: string; exitCode?: number } } }[];
  };
}

/** Selector of every pod of a Helm release made from our chart. */
export const releaseSelector = (release: string) => `app.kubernetes.io/instance=${release}`;

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
      node: p.spec?.nodeName,
      createdAt: p.metadata.creationTimestamp,
      containers: (p.status?.containerStatuses ?? []).map((c) => ({
        name: c.name,
        restarts: c.restartCount ?? 0,
        running: !!c.state?.running,
        waiting: c.state?.waiting?.reason,
        lastExit: c.lastState?.terminated ? `${c.lastState.terminated.reason ?? 'exited'} (exit ${c.lastState.terminated.exitCode ?? '?'})` : undefined,
        image: p.spec?.containers?.find((s) => s.name === c.name)?.image,
      })),
    };
  });
}
