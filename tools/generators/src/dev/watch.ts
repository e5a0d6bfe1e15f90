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
    { ignore: IGNORED },
  );
}
