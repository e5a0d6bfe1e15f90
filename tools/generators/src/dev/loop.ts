/**
 * The inner loop: file events -> coalesced batches -> one pass per batch, each doing the least work
 * (classify.ts): sync into the pods, rebuild one service's image (build, load, release), or upgrade
 * the release. A changed requirements.txt or package.json is installed into the running pods first
 * (packages.ts), so the new package is importable in seconds; the same pass then rebuilds the image,
 * whose rollout replaces those pods (or, when the install cannot be done here, the rebuild alone brings
 * it, and the line says so).
 *
 * A pass's rebuild or upgrade runs in the background: changes that arrive meanwhile form the next batch
 * at once, and a pass that only syncs files runs while the rebuild goes on (an edit is live in a second,
 * not after the image). A pass that installs, rebuilds or upgrades waits for it (one deploy run at a
 * time), as do the dashboard's actions. No change is lost: files synced while a service's image was being
 * built are synced again into the pods its rollout creates. A failure is reported and the loop goes on;
 * a service whose rebuild failed is rebuilt again on the next pass.
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
  /** A line of the loop's own (time-stamped by the caller), and the number of the pass it belongs to. */
  say: (line: string, pass?: number) => void;
  /** Output of the deploy steps a rebuild or upgrade runs, and the number of that pass. */
  stepLog: (line: string, pass?: number) => void;
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
  /** The rebuild or upgrade of a pass, still running; `pass` is that pass's number. */
  private background?: { pass: number; done: Promise<void> };
  private stopped = false;
  /** Services whose last rebuild failed: rebuilt on every pass until one succeeds. */
  private readonly rebuildFailed = new Map<string, string>();
  /**
   * Files synced into a service since its image was built, each with the sequence number of its last
   * sync: re-synced into pods a rollout creates. A rebuild drops those synced before it began.
   */
  private readonly syncedSinceImage = new Map<string, Map<string, number>>();
  private syncSeq = 0;
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
          await this.background?.done;
          request.done(await this.act(request.action));
          continue;
        }
        const batch = this.pending;
        this.pending = new Map();
        await this.startPass(batch);
        // Let a burst that started during the pass finish before taking it.
        if (this.pending.size) await new Promise((r) => setTimeout(r, this.d.debounceMs));
      }
    })().finally(() => (this.running = undefined));
  }

  /** Resolves when the current pass (if any) and a rebuild still running are over; no new pass starts. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.background?.done;
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
    this.d.events?.passStarted(title, [], n);
    this.d.say(`pass ${n}: ${title}`, n);
    let ok: boolean;
    if (action.kind === 'restart') ok = await this.restart(action.service, n);
    else {
      const services = action.kind === 'deploy' ? this.run.images.map((i) => i.service) : [action.service];
      const plan: ChangePlan = { sync: new Map(), rebuild: new Map(services.map((s) => [s, 'asked from the dashboard'])), install: new Map(), upgrade: action.kind === 'deploy' ? ['asked from the dashboard'] : [], ignored: [] };
      // An explicit rebuild builds even an image the daemon already has under its content tag.
      ok = await this.rebuildOrUpgrade(plan, n, action.kind === 'rebuild' ? 'asked from the dashboard' : undefined);
    }
    this.d.say(`pass ${n} ${ok ? 'done' : 'failed'} in ${secs(t0)}: ${appUrl(this.run)}`, n);
    this.d.events?.passEnded(true, n);
    return ok;
  }

  /** New pods from the same image (restart.ts); they get what was synced since it was built. */
  private async restart(service: string, n: number): Promise<boolean> {
    const t0 = Date.now();
    const failure = await restartService(this.d.children, this.d.kube, service, (line) => this.d.say(line, n));
    if (failure) {
      this.d.say(`  ✗ restart ${service} failed after ${secs(t0)}: ${failure}`, n);
      this.d.events?.failed(`restart ${service} failed`, failure, n);
      return false;
    }
    await this.resyncNewPods([], n);
    return true;
  }

  /** One pass over `batch`, its rebuild or upgrade included: resolves when all of it is over. */
  async pass(batch: Map<string, 'update' | 'delete'>): Promise<void> {
    await (await this.startPass(batch)).done;
  }

  /**
   * Starts a pass: syncs and installs now; a rebuild or upgrade goes on in the background (this.background).
   * Resolves once the pass no longer needs the loop's turn, with a promise of its end (wrapped: a
   * promise returned from an async function would be waited for).
   */
  private async startPass(batch: Map<string, 'update' | 'delete'>): Promise<{ done: Promise<void> }> {
    const n = ++this.passes;
    const t0 = Date.now();
    const plan = this.d.classifier.classify(batch);
    for (const [service, file] of this.rebuildFailed) if (!plan.rebuild.has(service)) plan.rebuild.set(service, `${file} (last rebuild failed)`);
    for (const service of plan.rebuild.keys()) plan.sync.delete(service);
    const files = [...batch.keys()];
    this.d.events?.passStarted(`pass ${n}`, files, n);
    this.d.say(`pass ${n}: ${files.length} changed file${files.length === 1 ? '' : 's'} (${list(files)})`, n);
    if (plan.ignored.length) this.d.say(`  nothing to do for ${list(plan.ignored)}: no image or chart uses ${plan.ignored.length === 1 ? 'it' : 'them'}`, n);
    const usesRun = plan.rebuild.size > 0 || plan.upgrade.length > 0;
    const earlier = this.background;
    if (earlier && (usesRun || plan.install.size)) {
      // One deploy run at a time; an install waits too, so the rollout cannot replace its pods under it.
      this.d.say(`  waiting for pass ${earlier.pass}'s rebuild, still running`, n);
      await earlier.done;
    } else if (earlier) this.d.say(`  (pass ${earlier.pass}'s rebuild goes on in the background)`, n);
    await this.syncAll(plan, n);
    await this.installAll(plan, n);
    const didWork = plan.sync.size + plan.rebuild.size + plan.upgrade.length > 0;
    const finish = () => {
      if (didWork) this.d.say(`pass ${n} done in ${secs(t0)}: ${appUrl(this.run)}`, n);
      this.d.events?.passEnded(didWork, n);
    };
    if (!usesRun) {
      finish();
      return { done: Promise.resolve() };
    }
    const done = this.rebuildOrUpgrade(plan, n).then(finish, (e) => {
      this.d.say(`  ✗ ${(e as Error).message}`, n);
      finish();
    });
    const background = { pass: n, done };
    this.background = background;
    void done.finally(() => {
      if (this.background === background) this.background = undefined;
    });
    return { done };
  }

  private async syncAll(plan: ChangePlan, n: number): Promise<void> {
    await Promise.all(
      [...plan.sync.entries()].map(async ([service, { files, deleted }]) => {
        const t0 = Date.now();
        try {
          const pods = await syncIntoPods(this.d.children, this.d.kube, { service, rule: this.d.rules.get(service)!, workspaceRoot: this.run.workspaceRoot, files, deleted });
          const synced = this.syncedSinceImage.get(service) ?? new Map<string, number>();
          for (const f of files) synced.set(f, ++this.syncSeq);
          for (const f of deleted) synced.delete(f);
          this.syncedSinceImage.set(service, synced);
          if (pods.length) this.d.events?.synced(service, n);
          this.d.say(
            pods.length
              ? `  ${service}: synced ${files.length} file${files.length === 1 ? '' : 's'}${deleted.length ? `, removed ${deleted.length}` : ''} (${list([...files, ...deleted])}) into ${pods.join(', ')} in ${secs(t0)}; the server reloads (no build, no upgrade)`
              : `  ${service}: no running pod to sync ${list(files)} into; it gets them with its next image`,
            n,
          );
        } catch (e) {
          this.d.say(`  ✗ ${service}: sync failed after ${secs(t0)}: ${(e as Error).message}. Still watching; save again to retry.`, n);
          this.d.events?.failed(`${service}: sync failed`, (e as Error).message, n);
        }
      }),
    );
  }

  /** Changed dependency files (requirements.txt, package.json) into the running pods, before the rebuild that brings them for good. */
  private async installAll(plan: ChangePlan, n: number): Promise<void> {
    await Promise.all(
      [...plan.install.entries()].map(async ([service, file]) => {
        const t0 = Date.now();
        const outcome = await this.installer.install(service, this.d.rules.get(service)!, this.run.workspaceRoot);
        if (outcome.kind === 'installed') {
          if (outcome.pods.length) this.d.events?.synced(service, n);
          this.d.say(
            outcome.pods.length
              ? `  ${service}: installed ${list(outcome.requirements)} into ${outcome.pods.join(', ')} in ${secs(t0)} (${outcome.phases}; ${outcome.target}): importable now; the image is rebuilt behind it`
              : `  ${service}: no running pod to install ${list(outcome.requirements)} into; it gets them with its next image`,
            n,
          );
        } else if (outcome.kind === 'nothing') this.d.say(`  ${service}: nothing to install into the pods for ${file} (${outcome.reason}); the rebuild brings the change`, n);
        else this.d.say(`  ${service}: not installed into the pods (${outcome.reason}): the rebuild alone brings ${file}`, n);
      }),
    );
  }

  /** Returns whether it succeeded. */
  private async rebuildOrUpgrade(plan: ChangePlan, n: number, forceBuild?: string): Promise<boolean> {
    const services = [...plan.rebuild.keys()];
    const t0 = Date.now();
    // Files synced up to now are in the image this rebuild builds; later ones are synced into its new pods.
    const cut = this.syncSeq;
    const what = [
      ...services.map((s) => `rebuild ${s} (${plan.rebuild.get(s)})`),
      ...(plan.upgrade.length ? [`helm upgrade (${list(plan.upgrade)})`] : []),
    ].join(', ');
    this.d.say(`  ${what}`, n);
    try {
      const result = await rebuildAndUpgrade(this.run, services, (line) => this.d.stepLog(line, n), forceBuild);
      this.d.events?.steps(result.steps, n);
      if (!result.success) throw new ClusterError(result.steps.find((s) => s.outcome === 'failed')?.name ?? '?', 'the step failed (its output is above)', 'fix what the output names; the next change retries');
      for (const s of services) {
        this.rebuildFailed.delete(s);
        const synced = this.syncedSinceImage.get(s);
        for (const [file, seq] of synced ?? []) if (seq <= cut) synced!.delete(file);
        if (synced?.size === 0) this.syncedSinceImage.delete(s);
        this.installer.forget(s);
      }
      const ran = result.steps.filter((s) => s.outcome === 'ran').map((s) => s.name);
      this.d.say(`  ${ran.length ? `${ran.join(', ')}: done` : 'nothing needed (the cluster already had it)'} in ${secs(t0)}${services.length ? `; other services untouched` : '; no image work'}`, n);
      await this.resyncNewPods(services, n);
      return true;
    } catch (e) {
      if ((e as { steps?: StepTiming[] }).steps) this.d.events?.steps((e as { steps: StepTiming[] }).steps, n);
      for (const s of services) this.rebuildFailed.set(s, plan.rebuild.get(s)!.replace(/ \(last rebuild failed\)$/, ''));
      const message = describeError(e).split('\n').join('\n    ');
      this.d.say(`  ✗ ${what} failed after ${secs(t0)}: ${message}\n    Still watching: fix it and save, the next pass tries again.`, n);
      this.d.events?.failed(`${what} failed`, describeError(e), n);
      return false;
    }
  }

  /**
   * Pods a rollout created start from their image: give them what was synced and installed since it was
   * built (for a service just rebuilt: the files synced while its image was being built).
   */
  private async resyncNewPods(rebuilt: string[], n: number): Promise<void> {
    for (const [service, rule] of this.d.rules) {
      const files = [...(this.syncedSinceImage.get(service)?.keys() ?? [])];
      if (files.length === 0 && (rebuilt.includes(service) || !this.installer.has(service))) continue;
      try {
        // Found before the first copy marks them.
        const fresh = (await listPods(this.d.children, this.d.kube, service)).filter((p) => !p.deleting && p.phase === 'Running' && p.annotations[SYNC_ANNOTATION] === undefined).map((p) => p.name);
        if (fresh.length === 0) continue;
        if (files.length) {
          const pods = await syncIntoPods(this.d.children, this.d.kube, { service, rule, workspaceRoot: this.run.workspaceRoot, files, deleted: [], onlyPods: fresh });
          if (pods.length) this.d.say(`  ${service}: new pods ${pods.join(', ')} got the ${files.length} file(s) synced since its image was built`, n);
        }
        if (rebuilt.includes(service)) continue;
        const pods = await this.installer.resync(service, rule, fresh);
        if (pods.length) this.d.say(`  ${service}: new pods ${pods.join(', ')} got the packages installed since its image was built`, n);
      } catch (e) {
        this.d.say(`  ✗ ${service}: re-sync into new pods failed: ${(e as Error).message}`, n);
      }
    }
  }
}
