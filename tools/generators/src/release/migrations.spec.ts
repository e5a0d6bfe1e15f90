import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsHash } from './migrations';

describe('migrationsHash', () => {
  it('covers the migrate module and the migrations folder, not byte-code or the rest of the package', () => {
    const root = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      const pkg = join(root, 'apps/backend/todo_api');
      mkdirSync(join(pkg, 'migrations/versions/__pycache__'), { recursive: true });
      writeFileSync(join(pkg, 'migrate.py'), 'run()\n');
      writeFileSync(join(pkg, 'migrations/versions/0001.py'), 'up()\n');
      writeFileSync(join(pkg, 'deps.py'), 'a = 1\n');
      const h = migrationsHash(root, 'backend', 'todo_api.migrate');
      expect(h).toMatch(/^[0-9a-f]{16}$/);
      writeFileSync(join(pkg, 'deps.py'), 'a = 2\n');
      writeFileSync(join(pkg, 'migrations/versions/__pycache__/0001.cpython-313.pyc'), 'x');
      expect(migrationsHash(root, 'backend', 'todo_api.migrate')).toBe(h);
      writeFileSync(join(pkg, 'migrations/versions/0002.py'), 'up()\n');
      const h2 = migrationsHash(root, 'backend', 'todo_api.migrate');
      expect(h2).not.toBe(h);
      writeFileSync(join(pkg, 'migrate.py'), 'run(lock=True)\n');
      expect(migrationsHash(root, 'backend', 'todo_api.migrate')).not.toBe(h2);
      expect(migrationsHash(root, 'frontend', 'x.migrate')).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
