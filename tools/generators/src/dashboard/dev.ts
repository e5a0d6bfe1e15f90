/**
 * The dashboard of a dev-<env> session: the loop's events (dev/events.ts) and printed lines become
 * passes with their steps, reasons, files and failures; the page's actions become loop requests
 * (DevLoop.request), which run as passes of their own, after the running one.
 */
import type { StepsResult } from '../deploy';
import { appUrl, type DeployRun } from '../dev/bridge';
import type { Children } from '../dev/children';
import type { DevEvents, LoopAction } from '../dev/events';
import type { KubeScope } from '../dev/kube';
import type { DevLoop } from '../dev/loop';
import type { PodWatcher } from '../dev/pod-watcher';
import { DEFAULT_UI_PORT, DashboardOptions, Feed, deployRecordPath, forwardsByService, serviceUrls, startFeed } from './feed';

/** A printed line, and the loop's number of the pass it belongs to (when it belongs to one). */
type Line = (line: string, pass?: number) => void;

/** Lines of a step's own output kept for a failure's report. */
const OUTPUT_LINES = 60;

export interface DevDashboard {
  url: string;
  token: string;
  state: Feed['state'];
  events: DevEvents;
  /** Wrap the loop's `say` and `stepLog`: each line also goes to its pass (the loop's number), else the newest running one. */
  say(next: Line): Line;
  stepLog(next: Line): Line;
  logSink: Feed['logSink'];
  /** The loop the page's actions go to (made after the dashboard, which it reports to). */
  drive(loop: Pick<DevLoop, 'request'>): void;
  forwards(describe: string[]): void;
  close(): Promise<void>;
}

export async function startDevDashboard(o: DashboardOptions & { run: DeployRun; children: Children; kube: KubeScope; pods: PodWatcher; upToDate: StepsResult; seconds: number }): Promise<DevDashboard> {
  const services = o.run.images.map((i) => i.service);
  let loop: Pick<DevLoop, 'request'> | undefined;
  /** Actions asked for, in the loop's order, waiting for their pass to start. */
  const waiting: number[] = [];
  const feed = await startFeed({
    info: { mode: 'dev', environment: o.run.name, namespace: o.run.namespace, cluster: `${o.run.cluster.type} ${o.run.cluster.name}`, appUrl: appUrl(o.run), actions: ['rebuild', 'restart', 'deploy'] },
    services,
    port: o.uiPort ?? DEFAULT_UI_PORT,
    children: o.children,
    kube: o.kube,
    pods: o.pods,
    docker: o.run.tools.docker,
    deployRecord: deployRecordPath(o.run.workspaceRoot, o.run.name),
    act: (request) => {
      const action = feed.state.actionQueued(request.kind, request.service);
      waiting.push(action.id);
      const ask: LoopAction = request.kind === 'deploy' ? { kind: 'deploy' } : { kind: request.kind, service: request.service! };
      void (loop?.request(ask) ?? Promise.resolve(false)).then((ok) => feed.state.actionUpdate(action.id, { status: ok ? 'ok' : 'failed' }));
      return action.id;
    },
  });
  const { state } = feed;
  for (const [service, url] of serviceUrls(o.run.config.services, appUrl(o.run))) state.setService(service, { url });

  // The first bring-up (the deploy steps with the dev configuration) is the page's first pass.
  const first = state.passStarted('up to date (the deploy steps, dev configuration)', 'up-to-date');
  state.passSteps(first, o.upToDate.steps);
  state.passEnded(first, true, o.seconds);

  // Passes still open: by the loop's pass number (a sync-only pass may run while an earlier one rebuilds
  // in the background), and the newest, which gets what comes without a number.
  const open = new Map<number, number>();
  let current: number | undefined;
  /** Each open pass's step output since its running step began (kept for a failure's report). */
  const outputs = new Map<number, string[]>();
  const idOf = (pass?: number) => (pass === undefined ? current : open.get(pass));
  const events: DevEvents = {
    passStarted(title, files, pass) {
      current = state.passStarted(title, title.endsWith('(from the dashboard)') ? 'action' : 'pass', files);
      if (pass !== undefined) open.set(pass, current);
      outputs.set(current, []);
      if (title.endsWith('(from the dashboard)') && waiting.length) state.actionUpdate(waiting.shift()!, { status: 'running', passId: current });
    },
    synced(service, pass) {
      const id = idOf(pass);
      if (id !== undefined) state.passSynced(id, service);
    },
    steps(steps, pass) {
      const id = idOf(pass);
      if (id !== undefined) state.passSteps(id, steps);
    },
    failed(what, text, pass) {
      const id = idOf(pass);
      if (id === undefined) return;
      const output = outputs.get(id) ?? [];
      state.passFailed(id, what, [text, ...(output.length ? ['', ...output] : [])].join('\n').trim());
    },
    passEnded(didWork, pass) {
      const id = idOf(pass);
      if (id === undefined) return;
      state.passEnded(id, didWork);
      outputs.delete(id);
      if (pass !== undefined) open.delete(pass);
      if (current === id) current = [...open.values()].pop();
    },
  };
  return {
    url: feed.server.url,
    token: feed.server.token,
    state,
    events,
    say: (next) => (line, pass) => {
      next(line, pass);
      // The pass's own header and footer are the page's title and time.
      const id = idOf(pass);
      if (id !== undefined && !/^pass \d+[: ]/.test(line)) state.passLine(id, line.trim());
    },
    stepLog: (next) => (line, pass) => {
      next(line, pass);
      const id = idOf(pass);
      if (id === undefined) return;
      if (/^\s*\[\d+\/\d+\] /.test(line)) {
        state.passLine(id, line);
        // A step begins: what follows is its output (kept through its "failed after" line for the failure).
        if (!/: (done in|failed after|skipped \()/.test(line)) outputs.set(id, []);
      } else outputs.set(id, [...(outputs.get(id) ?? []), line].slice(-OUTPUT_LINES));
    },
    logSink: feed.logSink,
    drive: (l) => (loop = l),
    forwards(describe) {
      for (const [service, text] of forwardsByService(describe)) state.setService(service, { portForward: text });
    },
    close: () => feed.close(),
  };
}
