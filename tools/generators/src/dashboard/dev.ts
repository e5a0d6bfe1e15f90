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

/** Lines of a step's own output kept for a failure's report. */
const OUTPUT_LINES = 60;

export interface DevDashboard {
  url: string;
  token: string;
  state: Feed['state'];
  events: DevEvents;
  /** Wrap the loop's `say` and `stepLog`: each line also goes to the running pass. */
  say(next: (line: string) => void): (line: string) => void;
  stepLog(next: (line: string) => void): (line: string) => void;
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

  let current: number | undefined;
  let output: string[] = [];
  const events: DevEvents = {
    passStarted(title, files) {
      current = state.passStarted(title, title.endsWith('(from the dashboard)') ? 'action' : 'pass', files);
      output = [];
      if (title.endsWith('(from the dashboard)') && waiting.length) state.actionUpdate(waiting.shift()!, { status: 'running', passId: current });
    },
    synced: (service) => current !== undefined && state.passSynced(current, service),
    steps: (steps) => current !== undefined && state.passSteps(current, steps),
    failed: (what, text) => current !== undefined && state.passFailed(current, what, [text, ...(output.length ? ['', ...output] : [])].join('\n').trim()),
    passEnded(didWork) {
      if (current !== undefined) state.passEnded(current, didWork);
      current = undefined;
    },
  };
  return {
    url: feed.server.url,
    token: feed.server.token,
    state,
    events,
    say: (next) => (line) => {
      next(line);
      // The pass's own header and footer are the page's title and time.
      if (current !== undefined && !/^pass \d+[: ]/.test(line)) state.passLine(current, line.trim());
    },
    stepLog: (next) => (line) => {
      next(line);
      if (current === undefined) return;
      if (/^\s*\[\d+\/\d+\] /.test(line)) {
        state.passLine(current, line);
        // A step begins: what follows is its output (kept through its "failed after" line for the failure).
        if (!/: (done in|failed after|skipped \()/.test(line)) output = [];
      } else output = [...output, line].slice(-OUTPUT_LINES);
    },
    logSink: feed.logSink,
    drive: (l) => (loop = l),
    forwards(describe) {
      for (const [service, text] of forwardsByService(describe)) state.setService(service, { portForward: text });
    },
    close: () => feed.close(),
  };
}
