/**
 * What feeds the dashboard's state (@todo/dashboard) besides the loop's passes, for dev-<env> and
 * ui-<env> alike: the pods the loop's PodWatcher already polls (with the image each runs, inspected
 * once per reference in the Docker daemon), CPU and memory from the metrics API when it answers, the
 * services' log lines (the LogFollowers' own lines, parsed back into service and text), the
 * port-forwards, and dist/deploy/<env>.json.
 */
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { DashboardInfo, DashboardServer, DashboardState, PodView, parseTop, readDeployRecord, startDashboardServer, type ActionRequest } from '@todo/dashboard';
import { inspectImage } from '../images/docker';
import type { PodSummary } from '../release/pods';
import { SYNC_ANNOTATION } from '../release/sync-marker';
import type { Children } from '../dev/children';
import { KubeScope, kube } from '../dev/kube';
import type { PodWatcher } from '../dev/pod-watcher';

export interface DashboardOptions {
  /** false: no dashboard. */
  ui?: boolean;
  /** 127.0.0.1 port of the page (default DEFAULT_UI_PORT). */
  uiPort?: number;
}

export const DEFAULT_UI_PORT = 10400;
const METRICS_EVERY_MS = 15_000;
const METRICS_RETRY_MS = 60_000;

export function podViews(pods: PodSummary[]): (PodView & { component: string })[] {
  return pods.map((p) => {
    const c = p.containers.find((x) => x.name === p.component) ?? p.containers[0];
    return {
      component: p.component,
      name: p.name,
      uid: p.uid,
      ready: p.ready,
      phase: p.phase,
      deleting: p.deleting,
      restarts: c?.restarts ?? 0,
      waiting: c?.waiting,
      lastExit: c?.lastExit,
      node: p.node,
      createdAt: p.createdAt,
      image: c?.image,
      syncedAt: p.annotations[SYNC_ANNOTATION],
    };
  });
}

/** "[backend]  text" (the followers' prefix, padded to the longest service name, maybe coloured) -> service and text. */
export function logLineParser(services: string[]): (line: string) => { service: string; text: string } | undefined {
  const width = Math.max(...services.map((s) => s.length)) + 2;
  return (line) => {
    const plain = stripVTControlCharacters(line);
    const m = /^\[([^\]]+)\]/.exec(plain);
    if (!m || !services.includes(m[1])) return undefined;
    return { service: m[1], text: plain.slice(width + 1) };
  };
}

export interface Feed {
  state: DashboardState;
  server: DashboardServer;
  /** A log follower's line: to the page (and to `print` when the terminal shows logs too). */
  logSink(print?: (line: string) => void): (line: string) => void;
  close(): Promise<void>;
}

/** Starts the page's server and the feeds around the given pod watcher. Throws when the port is taken. */
export async function startFeed(o: {
  info: DashboardInfo;
  services: string[];
  port: number;
  children: Children;
  kube: KubeScope;
  pods: PodWatcher;
  docker: string;
  deployRecord: string;
  act: (request: ActionRequest) => number;
}): Promise<Feed> {
  const state = new DashboardState(o.info, o.services);
  const server = await startDashboardServer({ state, port: o.port, act: o.act });
  const record = readDeployRecord(o.deployRecord);
  if (record) state.setLastDeploy(record);

  const images = new Map<string, ReturnType<typeof inspectImage> | null>();
  o.pods.onPods((pods) => {
    const views = podViews(pods);
    state.setPods(views);
    for (const service of o.services) {
      // The image of the service's newest pod that is not going away: what it runs now.
      const ref = views.filter((p) => p.component === service && !p.deleting && p.image).pop()?.image;
      if (!ref) continue;
      if (!images.has(ref)) {
        try {
          images.set(ref, inspectImage(ref, o.docker) ?? null);
        } catch {
          images.set(ref, null);
        }
      }
      const inspected = images.get(ref);
      const tag = ref.split(':').pop();
      state.setService(service, { image: { ref, contentTag: tag?.startsWith('content-') ? tag : undefined, builtAt: inspected?.Created, size: inspected?.Size } });
    }
  });

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const metrics = async () => {
    const r = await kube(o.children, o.kube, ['top', 'pods', '-l', `app.kubernetes.io/instance=${o.kube.release}`, '--no-headers']);
    const usage = r.status === 0 ? parseTop(r.stdout) : undefined;
    state.setMetrics(usage);
    if (!closed) timer = setTimeout(() => void metrics(), usage ? METRICS_EVERY_MS : METRICS_RETRY_MS);
  };
  void metrics();

  const parse = logLineParser(o.services);
  return {
    state,
    server,
    logSink: (print) => (line) => {
      print?.(line);
      const l = parse(line);
      if (l) state.logLine(l.service, l.text);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await server.close();
    },
  };
}

/** The URL of each service the ingress routes (its ingressPath under the app's URL); the others have none of their own. */
export function serviceUrls(services: Record<string, { ingressPath?: string }>, appUrl: string): Map<string, string> {
  return new Map(Object.entries(services).flatMap(([name, s]) => (s.ingressPath ? [[name, new URL(s.ingressPath.replace(/^\//, ''), appUrl).toString()] as [string, string]] : [])));
}

export const deployRecordPath = (workspaceRoot: string, environment: string) => join(workspaceRoot, 'dist', 'deploy', `${environment}.json`);

/** "backend: 127.0.0.1:18000 -> backend pods, port 8000" (PortForwards.describe()) -> service -> "127.0.0.1:18000 -> port 8000". */
export function forwardsByService(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const m = /^([^:]+): (\S+) -> .*port (\d+)$/.exec(l);
    if (m) out.set(m[1], `${m[2]} -> port ${m[3]}`);
  }
  return out;
}
