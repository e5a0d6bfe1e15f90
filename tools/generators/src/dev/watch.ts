/**
 * Workspace file events through @parcel/watcher (native inotify/FSEvents backends, the watcher Nx
 * itself uses), with the folders no image or chart reads left out before any event is made.
 */
import { subscribe, type AsyncSubscription } from '@parcel/watcher';
import { relativeFile } from './classify';

export const IGNORED = ['.git', 'node_modules', '**/node_modules', 'dist', 'tmp', '.nx', '.tools', '**/__pycache__', '**/.next', '**/.pytest_cache', '**/.venv', '**/.ruff_cache', '**/.mypy_cache', '**/coverage', '**/*.db', '**/*.db-journal', '**/*.swp', '**/*~', '**/.#*'];

export type FileEvent = { path: string; type: 'create' | 'update' | 'delete' };

export function watchWorkspace(workspaceRoot: string, onEvents: (events: FileEvent[]) => void, onError: (e: Error) => void): Promise<AsyncSubscription> {
  return subscribe(
    workspaceRoot,
    (err, events) => {
      if (err) return onError(err);
      onEvents(events.map((e) => ({ path: relativeFile(workspaceRoot, e.path), type: e.type })));
    },
    // On Linux the backend is named: left to choose, @parcel/watcher first probes for watchman with a
    // native popen() it never reaps, and the zombie `sh` it leaves made Nx wait ~1.5 s after Ctrl-C
    // (Nx waits until every process of the executor's tree is gone, and a zombie counts).
    { ignore: IGNORED, ...(process.platform === 'linux' ? { backend: 'inotify' as const } : {}) },
  );
}

/**
 * The watcher of a dev session, started before the first deploy step reads a source: what is saved
 * while the session starts (build, load, release, the loop's own set-up) is kept and handed to the
 * loop once it exists, which makes a pass of it, so no save is lost to start-up. A save the first
 * build already read costs one needless sync at worst. (Docker Compose's watch had this defect,
 * docker/compose#11102.)
 */
export class StartUpWatcher {
  private early: FileEvent[] = [];
  private sink?: (events: FileEvent[]) => void;

  private constructor(private readonly subscription: Pick<AsyncSubscription, 'unsubscribe'>) {}

  static async start(workspaceRoot: string, onError: (e: Error) => void, watch = watchWorkspace): Promise<StartUpWatcher> {
    let self: StartUpWatcher | undefined;
    const pending: FileEvent[] = [];
    const subscription = await watch(workspaceRoot, (events) => (self ? self.take(events) : pending.push(...events)), onError);
    self = new StartUpWatcher(subscription);
    self.take(pending);
    return self;
  }

  private take(events: FileEvent[]): void {
    if (this.sink) this.sink(events);
    else this.early.push(...events);
  }

  /** From now on events go to `sink`; returns the files saved during start-up (given to it first). */
  handTo(sink: (events: FileEvent[]) => void): string[] {
    const early = this.early;
    this.early = [];
    this.sink = sink;
    if (early.length) sink(early);
    return [...new Set(early.map((e) => e.path))];
  }

  unsubscribe(): Promise<void> {
    return this.subscription.unsubscribe();
  }
}
