/**
 * The content hash of a service's migrations (the chart's services.<svc>.migrations.hash): the
 * migrate module (`todo_api.migrate` -> apps/<svc>/todo_api/migrate.py) and the `migrations` folder
 * beside it, names and contents, byte-code left out. The chart skips the migrate init containers of
 * new pods only when the running, fully rolled-out Deployment carries the same hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function migrationsHash(workspaceRoot: string, service: string, migrateModule: string): string | undefined {
  const parts = migrateModule.split('.');
  const base = join(workspaceRoot, 'apps', service);
  const files: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) if (n !== '__pycache__' && !n.endsWith('.pyc')) walk(join(p, n));
    } else files.push(p);
  };
  walk(join(base, ...parts) + '.py');
  walk(join(base, ...parts.slice(0, -1), 'migrations'));
  if (files.length === 0) return undefined;
  const h = createHash('sha256');
  for (const f of files) h.update(relative(base, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}
