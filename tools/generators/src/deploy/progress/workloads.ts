/**
 * What a release is waiting for, from the cluster's own objects: each workload's ready/desired, and
 * for every pod not ready the reason (ImagePullBackOff, CrashLoopBackOff with its last log line,
 * Pending with the scheduler's message, a failing readiness probe). Pure: the caller fetches the JSON.
 */
export interface K8sList<T> {
  items: T[];
}

export interface Workload {
  kind: string;
  metadata: { name: string };
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

export interface Pod {
  metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface PodProblem {
  pod: string;
  /** The waiting reason, e.g. ImagePullBackOff, CrashLoopBackOff, Pending, NotReady. */
  reason: string;
  detail: string;
  /** The container whose last log line explains a crash loop (fetched by the caller). */
  crashing?: string;
}

const oneLine = (s = '', max = 160) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** "todo-backend 1/2, todo-postgres 1/1" (Deployments and StatefulSets, in name order). */
export function readySummary(workloads: Workload[]): string {
  return [...workloads]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((w) => `${w.metadata.name} ${w.status?.readyReplicas ?? 0}/${w.spec?.replicas ?? 1}`)
    .join(', ');
}

export function allReady(workloads: Workload[]): boolean {
  return workloads.length > 0 && workloads.every((w) => (w.status?.readyReplicas ?? 0) >= (w.spec?.replicas ?? 1));
}

/** Why each live pod is not ready; finished pods (Jobs) and pods being deleted are left out. */
export function podProblems(pods: Pod[]): PodProblem[] {
  const out: PodProblem[] = [];
  for (const p of pods) {
    const st = p.status ?? {};
    if (p.metadata.deletionTimestamp || st.phase === 'Succeeded' || st.phase === 'Failed') continue;
    if (st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const name = p.metadata.name;
    const unscheduled = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unscheduled) {
      out.push({ pod: name, reason: 'Pending', detail: oneLine(unscheduled.message || unscheduled.reason || 'not scheduled yet') });
      continue;
    }
    const containers = [...(st.initContainerStatuses ?? []).filter((c) => !c.state?.terminated), ...(st.containerStatuses ?? [])];
    const waiting = containers.find((c) => c.state?.waiting?.reason);
    if (waiting) {
      const w = waiting.state!.waiting!;
      const crash = w.reason === 'CrashLoopBackOff';
      const last = waiting.lastState?.terminated;
      const detail = crash ? `container ${waiting.name} restarted ${waiting.restartCount ?? 0}x${last ? `, last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : ''}` : oneLine(w.message || `container ${waiting.name}`);
      out.push({ pod: name, reason: w.reason!, detail, ...(crash ? { crashing: waiting.name } : {}) });
      continue;
    }
    if (st.phase === 'Pending') {
      out.push({ pod: name, reason: 'Pending', detail: 'waiting for its containers to start' });
      continue;
    }
    const unready = containers.filter((c) => !c.ready).map((c) => c.name);
    out.push({ pod: name, reason: 'NotReady', detail: unready.length ? `running; readiness probe of ${unready.join(', ')} not passing yet` : 'running; not ready yet' });
  }
  return out;
}

/** One progress line: elapsed time, ready/desired per workload, then each not-ready pod's reason. */
export function formatProgress(seconds: number, workloads: Workload[], problems: PodProblem[], lastLogs: Record<string, string> = {}): string {
  const ready = workloads.length ? readySummary(workloads) : 'no workloads yet';
  const why = problems.map((p) => {
    const log = lastLogs[p.pod] ? `; last log line: "${oneLine(lastLogs[p.pod], 120)}"` : '';
    return `${p.pod}: ${p.reason} (${p.detail}${log})`;
  });
  return `  waiting ${Math.round(seconds)}s: ${ready}${why.length ? ` | ${why.join('; ')}` : ''}`;
}
