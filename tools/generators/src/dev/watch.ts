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
