/**
 * The state the page is fed from: what the dev loop (or a deployed environment's watcher) already
 * knows, kept as plain data and changed only through the methods below. Every change is also handed
 * to the listeners as one patch (`{ kind, data }`), which the server sends over Server-Sent Events;
 * a page that connects gets the whole state first (snapshot()), then the patches.
 */

/** One pod as the page shows it (from `kubectl get pods -o json`, summarised by the caller). */
export interface PodView {
  name: string;
  uid: string;
  ready: boolean;
  phase: string;
  deleting: boolean;
  restarts: number;
  /** Why the service's container waits (CrashLoopBackOff, ImagePullBackOff, ContainerCreating...). */
  waiting?: string;
  lastExit?: string;
  node?: string;
  /** ISO time the pod was created (the page shows its age). */
  createdAt?: string;
  /** The image the service's container runs. */
  image?: string;
  /** The sync marker (todo.dev/synced-at): the pod runs files synced by the loop, not only its image. */
  syncedAt?: string;
  /** From the metrics API, when the cluster has one: "12m", "85Mi". */
  cpu?: string;
  memory?: string;
}

export interface ImageView {
  ref: string;
  contentTag?: string;
  /** ISO time the image was built (the daemon's Created). */
  builtAt?: string;
  size?: number;
}

export interface ServiceView {
  name: string;
  pods: PodView[];
  image?: ImageView;
  url?: string;
  portForward?: string;
}

export type StepOutcome = 'running' | 'ran' | 'skipped' | 'failed';

export interface StepView {
  name: string;
  outcome: StepOutcome;
  reason: string;
  seconds?: number;
}

export type PassStatus = 'running' | 'ok' | 'failed' | 'nothing';

/** A dev-loop pass, the first bring-up, an action the page asked for, or a deploy. */
export interface PassView {
  id: number;
  /** "pass 3", "up to date", "rebuild backend (from the dashboard)", "deploy-local" */
  title: string;
  kind: 'pass' | 'up-to-date' | 'action' | 'deploy';
  /** Workspace-relative files that triggered it. */
  files: string[];
  startedAt: string;
  seconds?: number;
  status: PassStatus;
  /** What it did, one line each ("backend: synced 1 file (...) into ... in 0.3s"). */
  lines: string[];
  /** Each deploy step with its outcome, seconds and the reason it ran or was skipped. */
  steps: StepView[];
  /** Failures with their output: the loop's own (a build, an upgrade) and the server's after a sync. */
  failures: { what: string; output: string }[];
  /** Services whose pods got files from this pass (their server's reaction is attached to it). */
  synced: string[];
}

export interface LogLine {
  seq: number;
  service: string;
  text: string;
  at: string;
}

export type ActionKind = 'rebuild' | 'restart' | 'deploy';

export interface ActionView {
  id: number;
  kind: ActionKind;
  service?: string;
  status: 'queued' | 'running' | 'ok' | 'failed';
  /** The pass that carries its progress (steps, lines). */
  passId?: number;
  message?: string;
}

export interface DashboardInfo {
  /** "dev-local" or "ui-staging": what serves the page. */
  mode: 'dev' | 'ui';
  environment: string;
  namespace: string;
  cluster: string;
  appUrl?: string;
  /** Actions this page may ask for (ui-<env> cannot rebuild one service alone). */
  actions: ActionKind[];
}

export interface DashboardSnapshot {
  info: DashboardInfo;
  services: ServiceView[];
  /** Newest last; at most MAX_PASSES. */
  passes: PassView[];
  /** dist/deploy/<env>.json as the last deploy-<env> wrote it. */
  lastDeploy?: DeployRecord;
  logs: LogLine[];
  actions: ActionView[];
  /** False until a metrics API answered (the page hides CPU and memory then). */
  metrics: boolean;
}

/** dist/deploy/<env>.json (tools/generators deploy/deploy.ts). */
export interface DeployRecord {
  environment: string;
  success: boolean;
  seconds: number;
  error?: string;
  /** When the file was written (its mtime). */
  at?: string;
  steps: { name: string; outcome: 'ran' | 'skipped' | 'failed'; reason: string; seconds: number }[];
}

export type Patch =
  | { kind: 'info'; data: DashboardInfo }
  | { kind: 'service'; data: ServiceView }
  | { kind: 'pass'; data: PassView }
  | { kind: 'deploy'; data: DeployRecord }
  | { kind: 'logs'; data: LogLine[] }
  | { kind: 'action'; data: ActionView }
  | { kind: 'metrics'; data: boolean };

export const MAX_PASSES = 50;
export const MAX_LOG_LINES = 2000;
/** After a sync, the synced service's log lines that look like a failure belong to the pass for this long. */
export const SERVER_REACTION_MS = 20_000;
/** Lines of a server that failed to load what was synced (a traceback, the dev server's own report, next dev's). */
const FAILURE_LINE = /Traceback|Error\b|error:|✗|worker exited|Failed to compile/;
const RECOVERY_LINE = /dev-server: reloaded|Compiled|✓ Ready|Application startup complete/;

export class DashboardState {
  private services = new Map<string, ServiceView>();
  private passes: PassView[] = [];
  private logs: LogLine[] = [];
  private actions: ActionView[] = [];
  private lastDeploy?: DeployRecord;
  private metrics = false;
  private nextPass = 1;
  private nextAction = 1;
  private seq = 0;
  private readonly listeners = new Set<(p: Patch) => void>();

  constructor(
    private info: DashboardInfo,
    services: string[],
    private readonly clock: () => number = Date.now,
  ) {
    for (const name of services) this.services.set(name, { name, pods: [] });
  }

  /** Called with every patch; returns the unsubscribe. */
  subscribe(listener: (p: Patch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(p: Patch): void {
    for (const l of this.listeners) l(p);
  }

  snapshot(): DashboardSnapshot {
    return {
      info: this.info,
      services: [...this.services.values()],
      passes: this.passes,
      lastDeploy: this.lastDeploy,
      logs: this.logs,
      actions: this.actions,
      metrics: this.metrics,
    };
  }

  setInfo(info: Partial<DashboardInfo>): void {
    this.info = { ...this.info, ...info };
    this.emit({ kind: 'info', data: this.info });
  }

  // ------------------------------------------------------------------------------------- services

  /** The pods of each service as the last poll found them (pods of other components are ignored). */
  setPods(pods: (PodView & { component: string })[]): void {
    for (const s of this.services.values()) {
      const mine = pods
        .filter((p) => p.component === s.name)
        .map(({ component: _c, ...p }) => {
          const before = s.pods.find((o) => o.uid === p.uid);
          // Metrics come on their own clock: keep the last figures until the next reading.
          return { ...p, cpu: p.cpu ?? before?.cpu, memory: p.memory ?? before?.memory };
        })
        .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.name.localeCompare(b.name));
      if (JSON.stringify(mine) === JSON.stringify(s.pods)) continue;
      s.pods = mine;
      this.emit({ kind: 'service', data: s });
    }
  }

  /** Reading of the metrics API (`kubectl top pods`): pod name -> cpu/memory; undefined when it does not answer. */
  setMetrics(usage: Map<string, { cpu: string; memory: string }> | undefined): void {
    const available = usage !== undefined;
    if (available !== this.metrics) {
      this.metrics = available;
      this.emit({ kind: 'metrics', data: available });
    }
    if (!usage) return;
    for (const s of this.services.values()) {
      let changed = false;
      for (const p of s.pods) {
        const u = usage.get(p.name);
        if (u && (u.cpu !== p.cpu || u.memory !== p.memory)) {
          Object.assign(p, u);
          changed = true;
        }
      }
      if (changed) this.emit({ kind: 'service', data: s });
    }
  }

  /** What else the page shows of a service: its image, URL, port-forward. */
  setService(name: string, fields: Partial<Omit<ServiceView, 'name' | 'pods'>>): void {
    const s = this.services.get(name);
    if (!s) return;
    const next = { ...s, ...fields };
    if (JSON.stringify(next) === JSON.stringify(s)) return;
    this.services.set(name, next);
    this.emit({ kind: 'service', data: next });
  }

  setLastDeploy(record: DeployRecord): void {
    this.lastDeploy = record;
    this.emit({ kind: 'deploy', data: record });
  }

  // --------------------------------------------------------------------------------------- passes

  /** A pass begins; returns its id. */
  passStarted(title: string, kind: PassView['kind'], files: string[] = []): number {
    const pass: PassView = { id: this.nextPass++, title, kind, files, startedAt: new Date(this.clock()).toISOString(), status: 'running', lines: [], steps: [], failures: [], synced: [] };
    this.passes.push(pass);
    if (this.passes.length > MAX_PASSES) this.passes.splice(0, this.passes.length - MAX_PASSES);
    this.emit({ kind: 'pass', data: pass });
    return pass.id;
  }

  private pass(id: number): PassView | undefined {
    return this.passes.find((p) => p.id === id);
  }

  private update(id: number, change: (p: PassView) => void): void {
    const p = this.pass(id);
    if (!p) return;
    change(p);
    this.emit({ kind: 'pass', data: p });
  }

  /**
   * A line the pass printed. The deploy runner's step lines ("[2/4] load backend: <reason>",
   * "...: done in 4.8s", "...: skipped (<reason>) 0.1s", "...: failed after 3.0s") also move its steps
   * table, so a running step shows before the runner returns its timings.
   */
  passLine(id: number, line: string): void {
    this.update(id, (p) => {
      const step = /^\s*\[\d+\/\d+\] ([^:]+): (.*)$/.exec(line);
      if (!step) {
        p.lines.push(line.trimEnd());
        return;
      }
      const [, name, rest] = step;
      const done = /^done in ([\d.]+)s$/.exec(rest);
      const skipped = /^skipped \((.*)\) ([\d.]+)s$/.exec(rest);
      const failed = /^failed after ([\d.]+)s$/.exec(rest);
      const current = [...p.steps].reverse().find((s) => s.name === name);
      if (done && current) Object.assign(current, { outcome: 'ran', seconds: Number(done[1]) });
      else if (failed && current) Object.assign(current, { outcome: 'failed', seconds: Number(failed[1]) });
      else if (skipped) p.steps.push({ name, outcome: 'skipped', reason: skipped[1], seconds: Number(skipped[2]) });
      else p.steps.push({ name, outcome: 'running', reason: rest });
    });
  }

  /** The runner's own timings once it returned (they replace what the lines said). */
  passSteps(id: number, steps: { name: string; outcome: 'ran' | 'skipped' | 'failed'; reason: string; seconds: number }[]): void {
    this.update(id, (p) => {
      const rest = p.steps.filter((s) => !steps.some((t) => t.name === s.name));
      // A step whose check threw has no line of its own: it keeps "running" unless the timings say otherwise.
      p.steps = [...steps.map((s) => ({ name: s.name, outcome: s.outcome, reason: s.reason, seconds: Math.round(s.seconds * 10) / 10 })), ...rest.map((s) => (s.outcome === 'running' ? { ...s, outcome: 'failed' as const } : s))];
    });
  }

  /** Files of `service` reached its pods in this pass: the server's reaction in the next seconds is the pass's. */
  passSynced(id: number, service: string): void {
    this.update(id, (p) => {
      if (!p.synced.includes(service)) p.synced.push(service);
    });
  }

  passFailed(id: number, what: string, output = ''): void {
    this.update(id, (p) => {
      p.failures.push({ what, output });
      p.status = 'failed';
    });
  }

  /** `seconds`: when the pass began before the dashboard did (the first bring-up). */
  passEnded(id: number, didWork = true, seconds?: number): void {
    this.update(id, (p) => {
      p.seconds = Math.round((seconds ?? (this.clock() - Date.parse(p.startedAt)) / 1000) * 10) / 10;
      if (p.status === 'running') p.status = p.failures.length ? 'failed' : didWork ? 'ok' : 'nothing';
      for (const s of p.steps) if (s.outcome === 'running') s.outcome = p.status === 'failed' ? 'failed' : 'ran';
    });
  }

  // ----------------------------------------------------------------------------------------- logs

  /** A line of a service's pods. A failure the server reports soon after a sync is also the pass's failure. */
  logLine(service: string, text: string): void {
    const line: LogLine = { seq: ++this.seq, service, text, at: new Date(this.clock()).toISOString() };
    this.logs.push(line);
    if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
    this.emit({ kind: 'logs', data: [line] });
    const pass = [...this.passes].reverse().find((p) => p.synced.includes(service));
    if (!pass || pass !== this.passes[this.passes.length - 1]) return;
    const end = Date.parse(pass.startedAt) + (pass.seconds ?? 0) * 1000;
    if (pass.status !== 'running' && this.clock() - end > SERVER_REACTION_MS) return;
    const what = `${service}: the server failed to load the change`;
    const open = pass.failures.find((f) => f.what === what);
    // From its first failure line on, the server's lines are the failure's output (the whole traceback).
    if (open && !RECOVERY_LINE.test(text)) this.update(pass.id, () => (open.output = `${open.output}\n${text}`));
    else if (FAILURE_LINE.test(text)) {
      this.update(pass.id, (p) => {
        p.failures.push({ what, output: text });
        p.status = 'failed';
      });
    } else if (RECOVERY_LINE.test(text)) {
      this.update(pass.id, (p) => p.lines.push(`${service}: ${text.trim()}`));
    }
  }

  // -------------------------------------------------------------------------------------- actions

  actionQueued(kind: ActionKind, service?: string): ActionView {
    const a: ActionView = { id: this.nextAction++, kind, service, status: 'queued' };
    this.actions.push(a);
    if (this.actions.length > MAX_PASSES) this.actions.shift();
    this.emit({ kind: 'action', data: a });
    return a;
  }

  actionUpdate(id: number, fields: Partial<Omit<ActionView, 'id' | 'kind' | 'service'>>): void {
    const a = this.actions.find((x) => x.id === id);
    if (!a) return;
    Object.assign(a, fields);
    this.emit({ kind: 'action', data: a });
  }

  /** Whether an action of this kind (and service) is queued or running: the page does not stack them. */
  actionPending(kind: ActionKind, service?: string): boolean {
    return this.actions.some((a) => a.kind === kind && a.service === service && (a.status === 'queued' || a.status === 'running'));
  }

  hasService(name: string): boolean {
    return this.services.has(name);
  }
}
