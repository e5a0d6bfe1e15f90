/**
 * The inner loop: file events -> coalesced batches -> one pass per batch, each doing the least work
 * (classify.ts): sync into the pods, rebuild one service's image (build, load, release), or upgrade
 * the release. A changed requirements.txt or package.json is installed into the running pods first (packages.ts), so
 * the new package is importable in seconds; the same pass then rebuilds the image, whose rollout replaces
 * those pods (or, when the install cannot be done here, the rebuild alone brings it, and the line says so). Passes never overlap: changes that arrive during a pass wait for it to end and form the
 * next batch, so none is lost. A failure is reported and the loop goes on; a service whose rebuild
 * failed is rebuilt again on the next pass.
 */
import type { Children } from './children';
import type { ChangePlan, Classifier } from './classify';
import type { StepTiming } from '../deploy';
import { DeployRun, appUrl, describeError, rebuildAndUpgrade } from './bridge';
import type { DevEvents, LoopAction } from './events';
import { KubeScope, listPods } from './kube';
import { SYNC_ANNOTATION } from '../release/sync-marker';
import { InstallerOptions, PackageInstaller } from './packages';
import { restartService } from './restart';
import { syncIntoPods } from './sync';
import type { SyncRule } from './sync-rules';
import { ClusterError } from '@todo/cluster';

export interface LoopDeps {
  /** The session's run: it brought the environment up to date, and every pass runs on it (bridge.ts). */
  run: DeployRun;
  classifier: Classifier;
  children: Children;
  kube: KubeScope;
  rules: Map<string, SyncRule>;
  /** A line of the loop's own (time-stamped by the caller). */
  say: (line: string) => void;
  /** Output of the deploy steps a rebuild or upgrade runs. */
  stepLog: (line: string) => void;
  /** Quiet time that ends a burst of events. */
  debounceMs: number;
  /** Whoever watches the passes (the dashboard); see events.ts. */
  events?: DevEvents;
  /** The machine's pip and npm for the pods' packages (packages.ts); defaults from the environment. */
  pip?: InstallerOptions;
}

const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const list = (files: string[], max = 3) => (files.length <= max ? files.join(', ') : `${files.slice(0, max).join(', ')} and ${files.length - max} more`);

export class DevLoop {
  private pending = new Map<string, 'update' | 'delete'>();
  /** Actions asked from outside (the dashboard), each run as a pass of its own. */
  private requests: { action: LoopAction; done: (ok: boolean) => void }[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Services whose last rebuild failed: rebuilt on every pass until one succeeds. */
  private readonly rebuildFailed = new Map<string, string>();
  /** Files synced into a service since its image was built: re-synced into pods a rollout creates. */
  private readonly syncedSinceImage = new Map<string, Set<string>>();
  /** Packages installed into a service's pods since its image was built (packages.ts). */
  private readonly installer: PackageInstaller;
  passes = 0;

  constructor(private readonly d: LoopDeps) {
    this.installer = new PackageInstaller(d.children, d.kube, d.pip);
  }

  private get run(): DeployRun {
    return this.d.run;
  }

  /** Records changes (workspace-relative) and starts a pass once the burst is over. */
  changed(events: { path: string; type: 'create' | 'update' | 'delete' }[]): void {
    if (this.stopped) return;
    for (const e of events) this.pending.set(e.path, e.type === 'delete' ? 'delete' : 'update');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.drain(), this.d.debounceMs);
  }

  private drain(): void {
    if (this.running || this.stopped) return;
    this.running = (async () => {
      while ((this.pending.size || this.requests.length) && !this.stopped) {
        const request = this.requests.shift();
        if (request) {
          request.done(await this.act(request.action));
          continue;
        }
        const batch = this.pending;
        this.pending = new Map();
        await this.pass(batch);
        // Let a burst that started during the pass finish before taking it.
        if (this.pending.size) await new Promise((r) => setTimeout(r, this.d.debounceMs));
      }
    })().finally(() => (this.running = undefined));
  }

  /** Resolves when the current pass (if any) is over; no new pass starts. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.installer.dispose();
  }

  /** Runs `action` as the next pass (after the running one); resolves with its success. */
  request(action: LoopAction): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((done) => {
      this.requests.push({ action, done });
      this.drain();
    });
  }

  /** rebuild: that service's image as a dependency change would; deploy: every image and the release; restart: new pods from the same image. */
  private async act(action: LoopAction): Promise<boolean> {
    const title = action.kind === 'deploy' ? 'deploy (from the dashboard)' : `${action.kind} ${action.service} (from the dashboard)`;
    const n = ++this.passes;
    const t0 = Date.now();
    this.d.events?.passStarted(title, []);
    this.d.say(`pass ${n}: ${title}`);
    let ok: boolean;
    if (action.kind === 'restart') ok = await this.restart(action.service);
    else {
      const services = action.kind === 'deploy' ? this.run.images.map((i) => i.service) : [action.service];
      const plan: ChangePlan = { sync: new Map(), rebuild: new Map(services.map((s) => [s, 'asked from the dashboard'])), install: new Map(), upgrade: action.kind === 'deploy' ? ['asked from the dashboard'] : [], ignored: [] };
      // An explicit rebuild builds even an image the daemon already has under its content tag.
      ok = await this.rebuildOrUpgrade(plan, action.kind === 'rebuild' ? 'asked from the dashboard' : undefined);
    }
    this.d.say(`pass ${n} ${ok ? 'done' : 'failed'} in ${secs(t0)}: ${appUrl(this.run)}`);
    this.d.events?.passEnded(true);
    return ok;
  }

  /** New pods from the same image (restart.ts); they get what was synced since it was built. */
  private async restart(service: string): Promise<boolean> {
    const t0 = Date.now();
    const failure = await restartService(this.d.children, this.d.kube, service, this.d.say);
    if (failure) {
      this.d.say(`  ✗ restart ${service} failed after ${secs(t0)}: ${failure}`);
      this.d.events?.failed(`restart ${service} failed`, failure);
      return false;
    }
    await this.resyncNewPods([]);
    return true;
  }

  async pass(batch: Map<string, 'update' | 'delete'>): Promise<void> {
    const n = ++this.passes;
    const t0 = Date.now();
    const plan = this.d.classifier.classify(batch);
    for (const [service, file] of this.rebuildFailed) if (!plan.rebuild.has(service)) plan.rebuild.set(service, `${file} (last rebuild failed)`);
    for (const service of plan.rebuild.keys()) plan.sync.delete(service);
    const files = [...batch.keys()];
    this.d.events?.passStarted(`pass ${n}`, files);
    this.d.say(`pass ${n}: ${files.length} changed file${files.length === 1 ? '' : 's'} (${list(files)})`);
    if (plan.ignored.length) this.d.say(`  nothing to do for ${list(plan.ignored)}: no image or chart uses ${plan.ignored.length === 1 ? 'it' : 'them'}`);
    await this.syncAll(plan);
    await this.installAll(plan);
    if (plan.rebuild.size || plan.upgrade.length) await this.rebuildOrUpgrade(plan);
    if (plan.sync.size + plan.rebuild.size + plan.upgrade.length) this.d.say(`pass ${n} done in ${secs(t0)}: ${appUrl(this.run)}`);
    this.d.events?.passEnded(plan.sync.size + plan.rebuild.size + plan.upgrade.length > 0);
  }

  private async syncAll(plan: ChangePlan): Promise<void> {
    await Promise.all(
      [...plan.sync.entries()].map(async ([service, { files, deleted }]) => {
        const t0 = Date.now();
        try {
          const pods = await syncIntoPods(this.d.children, this.d.kube, { service, rule: this.d.rules.get(service)!, workspaceRoot: this.run.workspaceRoot, files, deleted });
          const set = this.syncedSinceImage.get(service) ?? new Set();
          for (const f of files) set.add(f);
          for (const f of deleted) set.delete(f);
          this.syncedSinceImage.set(service, set);
          if (pods.length) this.d.events?.synced(service);
          this.d.say(
            pods.length
              ? `  ${service}: synced ${files.length} file${files.length === 1 ? '' : 's'}${deleted.length ? `, removed ${deleted.length}` : ''} (${list([...files, ...deleted])}) into ${pods.join(', ')} in ${secs(t0)}; the server reloads (no build, no upgrade)`
              : `  ${service}: no running pod to sync ${list(files)} into; it gets them with its next image`,
          );
        } catch (e) {
          this.d.say(`  ✗ ${service}: sync failed after ${secs(t0)}: ${(e as Error).message}. Still watching; save again to retry.`);
          this.d.events?.failed(`${service}: sync failed`, (e as Error).message);
        }
      }),
    );
  }

  /** Changed dependency files (requirements.txt, package.json) into the running pods, before the rebuild that brings them for good. */
  private async installAll(plan: ChangePlan): Promise<void> {
    await Promise.all(
      [...plan.install.entries()].map(async ([service, file]) => {
        const t0 = Date.now();
        const outcome = await this.installer.install(service, this.d.rules.get(service)!, this.run.workspaceRoot);
        if (outcome.kind === 'installed') {
          if (outcome.pods.length) this.d.events?.synced(service);
          this.d.say(
            outcome.pods.length
              ? `  ${service}: installed ${list(outcome.requirements)} into ${outcome.pods.join(', ')} in ${secs(t0)} (${outcome.phases}; ${outcome.target}): importable now; the image is rebuilt behind it`
              : `  ${service}: no running pod to install ${list(outcome.requirements)} into; it gets them with its next image`,
          );
        } else if (outcome.kind === 'nothing') this.d.say(`  ${service}: nothing to install into the pods for ${file} (${outcome.reason}); the rebuild brings the change`);
        else this.d.say(`  ${service}: not installed into the pods (${outcome.reason}): the rebuild alone brings ${file}`);
      }),
    );
  }

  /** Returns whether it succeeded. */
  private async rebuildOrUpgrade(plan: ChangePlan, forceBuild?: string): Promise<boolean> {
    const services = [...plan.rebuild.keys()];
    const t0 = Date.now();
    const what = [
      ...services.map((s) => `rebuild ${s} (${plan.rebuild.get(s)})`),
      ...(plan.upgrade.length ? [`helm upgrade (${list(plan.upgrade)})`] : []),
    ].join(', ');
    this.d.say(`  ${what}`);
    try {
      const result = await rebuildAndUpgrade(this.run, services, this.d.stepLog, forceBuild);
      this.d.events?.steps(result.steps);
      if (!result.success) throw new ClusterError(result.steps.find((s) => s.outcome === 'failed')?.name ?? '?', 'the step failed (its output is above)', 'fix what the output names; the next change retries');
      for (const s of services) {
        this.rebuildFailed.delete(s);
        this.syncedSinceImage.delete(s);
        this.installer.forget(s);
      }
      const ran = result.steps.filter((s) => s.outcome === 'ran').map((s) => s.name);
      this.d.say(`  ${ran.length ? `${ran.join(', ')}: done` : 'nothing needed (the cluster already had it)'} in ${secs(t0)}${services.length ? `; other services untouched` : '; no image work'}`);
      await this.resyncNewPods(services);
      return true;
    } catch (e) {
      if ((e as { steps?: StepTiming[] }).steps) this.d.events?.steps((e as { steps: StepTiming[] }).steps);
      for (const s of services) this.rebuildFailed.set(s, plan.rebuild.get(s)!.replace(/ \(last rebuild failed\)$/, ''));
      const message = describeError(e).split('\n').join('\n    ');
      this.d.say(`  ✗ ${what} failed after ${secs(t0)}: ${message}\n    Still watching: fix it and save, the next pass tries again.`);
      this.d.events?.failed(`${what} failed`, describeError(e));
      return false;
    }
  }

  /** Pods a rollout created start from their image: give them what was synced and installed since it was built. */
  private async resyncNewPods(rebuilt: string[]): Promise<void> {
    for (const [service, rule] of this.d.rules) {
      const files = [...(this.syncedSinceImage.get(service) ?? [])];
      if (rebuilt.includes(service) || (files.length === 0 && !this.installer.has(service))) continue;
      try {
        // Found before the first copy marks them.
        const fresh = (await listPods(this.d.children, this.d.kube, service)).filter((p) => !p.deleting && p.phase === 'Running' && p.annotations[SYNC_ANNOTATION] === undefined).map((p) => p.name);
        if (fresh.length === 0) continue;
        if (files.length) {
          const pods = await syncIntoPods(this.d.children, this.d.kube, { service, rule, workspaceRoot: this.run.workspaceRoot, files, deleted: [], onlyPods: fresh });
          if (pods.length) this.d.say(`  ${service}: new pods ${pods.join(', ')} got the ${files.length} file(s) synced since its image was built`);
        }
        const pods = await this.installer.resync(service, rule, fresh);
        if (pods.length) this.d.say(`  ${service}: new pods ${pods.join(', ')} got the packages installed since its image was built`);
      } catch (e) {
        this.d.say(`  ✗ ${service}: re-sync into new pods failed: ${(e as Error).message}`);
      }
    }
  }
}
