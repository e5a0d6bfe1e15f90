/**
 * How busy a release is, for `status-<env>`: each container's CPU and memory (metrics.k8s.io, from
 * metrics-server) against its requests and limits, its restarts and last OOM kill, and each
 * HorizontalPodAutoscaler's current/desired replicas with the conditions that say why.
 * Pure functions over kubectl's JSON; the executor fetches it.
 */

/** A Kubernetes quantity in base units: CPU in cores ("250m" -> 0.25), memory in bytes ("64Mi" -> 67108864). */
export function quantity(q: string | undefined): number | undefined {
  if (q === undefined || q === '') return undefined;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return undefined;
  const factor: Record<string, number> = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
  };
  const f = factor[m[2]];
  return f === undefined ? undefined : Number(m[1]) * f;
}

const cpu = (cores: number) => `${Math.round(cores * 1000)}m`;
const mem = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;
const pct = (used: number | undefined, of: number | undefined) => (used === undefined || !of ? '-' : `${Math.round((100 * used) / of)}%`);

interface ContainerJson {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodJson {
  metadata: { name: string };
  spec?: { containers?: ContainerJson[] };
  status?: {
    containerStatuses?: { name: string; restartCount?: number; lastState?: { terminated?: { reason?: string; finishedAt?: string } } }[];
  };
}
interface PodMetricsJson {
  metadata: { name: string };
  containers?: { name: string; usage?: { cpu?: string; memory?: string } }[];
}
interface HpaJson {
  metadata: { name: string };
  spec?: { minReplicas?: number; maxReplicas?: number; metrics?: { type: string; resource?: { name: string; target?: { averageUtilization?: number } } }[] };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    currentMetrics?: { type: string; resource?: { name: string; current?: { averageUtilization?: number; averageValue?: string } } }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface ContainerLoad {
  pod: string;
  container: string;
  cpu?: number;
  memory?: number;
  cpuRequest?: number;
  cpuLimit?: number;
  memoryRequest?: number;
  memoryLimit?: number;
  restarts: number;
  /** When the container was last OOM-killed (its last termination), if that was the reason. */
  lastOomKill?: string;
}

/** Joins `kubectl get pods -o json` with the metrics API's PodMetricsList (undefined: no metrics API). */
export function containerLoads(podsJson: string, metricsJson: string | undefined): ContainerLoad[] {
  const pods = (JSON.parse(podsJson) as { items?: PodJson[] }).items ?? [];
  const metrics = metricsJson ? ((JSON.parse(metricsJson) as { items?: PodMetricsJson[] }).items ?? []) : [];
  const usage = new Map<string, { cpu?: string; memory?: string }>();
  for (const pm of metrics) for (const c of pm.containers ?? []) usage.set(`${pm.metadata.name}/${c.name}`, c.usage ?? {});
  const out: ContainerLoad[] = [];
  for (const p of pods) {
    for (const c of p.spec?.containers ?? []) {
      const st = p.status?.containerStatuses?.find((s) => s.name === c.name);
      const u = usage.get(`${p.metadata.name}/${c.name}`);
      const term = st?.lastState?.terminated;
      out.push({
        pod: p.metadata.name,
        container: c.name,
        cpu: quantity(u?.cpu),
        memory: quantity(u?.memory),
        cpuRequest: quantity(c.resources?.requests?.cpu),
        cpuLimit: quantity(c.resources?.limits?.cpu),
        memoryRequest: quantity(c.resources?.requests?.memory),
        memoryLimit: quantity(c.resources?.limits?.memory),
        restarts: st?.restartCount ?? 0,
        lastOomKill: term?.reason === 'OOMKilled' ? (term.finishedAt ?? 'yes') : undefined,
      });
    }
  }
  return out;
}

/** The load table: one row per container, usage next to what it requested and its limit. */
export function loadTable(rows: ContainerLoad[], metricsAvailable: boolean): string[] {
  const head = ['POD', 'CONTAINER', 'CPU', 'REQUEST', '%REQ', 'MEMORY', 'REQUEST/LIMIT', '%REQ', '%LIMIT', 'RESTARTS', 'LAST OOM KILL'];
  const opt = (v: number | undefined, f: (n: number) => string, none = '-') => (v === undefined ? none : f(v));
  const body = rows.map((r) => [
    r.pod,
    r.container,
    opt(r.cpu, cpu),
    opt(r.cpuRequest, cpu),
    pct(r.cpu, r.cpuRequest),
    opt(r.memory, mem),
    `${opt(r.memoryRequest, mem)}/${opt(r.memoryLimit, mem, 'none')}`,
    pct(r.memory, r.memoryRequest),
    pct(r.memory, r.memoryLimit),
    String(r.restarts),
    r.lastOomKill ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [line(head), ...body.map(line)];
  if (!metricsAvailable) lines.push('CPU and memory: no metrics API on this cluster (`nx run cluster:cluster-up` installs metrics-server on kind)');
  return lines;
}

/** Each HPA: replicas now and wanted, bounds, each metric against its target, and its conditions (the why). */
export function hpaReport(hpaJson: string): string[] {
  const items = (JSON.parse(hpaJson) as { items?: HpaJson[] }).items ?? [];
  const lines: string[] = [];
  for (const h of items) {
    const s = h.status ?? {};
    const metrics = (h.spec?.metrics ?? [])
      .filter((m) => m.type === 'Resource' && m.resource)
      .map((m) => {
        const cur = s.currentMetrics?.find((c) => c.resource?.name === m.resource!.name)?.resource?.current?.averageUtilization;
        return `${m.resource!.name} ${cur === undefined ? '?' : `${cur}%`} of requests (target ${m.resource!.target?.averageUtilization ?? '?'}%)`;
      });
    lines.push(
      `HPA ${h.metadata.name}: ${s.currentReplicas ?? '?'} replicas, desired ${s.desiredReplicas ?? '?'} (min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas ?? '?'}); ${metrics.join(', ') || 'no metrics'}${s.lastScaleTime ? `; last scaled ${s.lastScaleTime}` : ''}`,
    );
    for (const c of s.conditions ?? []) lines.push(`  ${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`.trimEnd());
  }
  if (!items.length) lines.push('no HorizontalPodAutoscaler (services.<name>.autoscaling.enabled is false in this environment)');
  return lines;
}
