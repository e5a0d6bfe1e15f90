/*
 * Executor options are refused when unknown: every schema says additionalProperties: false, every
 * configured target passes only options its schema knows, and Nx itself refuses a mistyped flag
 * (`--vaules`) with an error naming it, before the executor runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ws = join(__dirname, '..', '..', '..', '..');
const plugin = join(ws, 'tools/generators');
const executors = JSON.parse(readFileSync(join(plugin, 'executors.json'), 'utf8')).executors as Record<string, { schema: string }>;
const schemaOf = (name: string) => JSON.parse(readFileSync(join(plugin, executors[name].schema), 'utf8')) as { additionalProperties?: boolean; properties: Record<string, unknown> };

describe('executor schemas', () => {
  it.each(Object.keys(executors))('%s refuses unknown options (additionalProperties: false)', (name) => {
    expect(schemaOf(name).additionalProperties).toBe(false);
  });

  it.each(['apps/backend-image', 'apps/frontend-image', 'charts/todo'])('%s/project.json passes only options its executors know', (root) => {
    const targets = JSON.parse(readFileSync(join(ws, root, 'project.json'), 'utf8')).targets as Record<string, { executor?: string; options?: Record<string, unknown> }>;
    const ours = Object.entries(targets).filter(([, t]) => t.executor?.startsWith('@todo/generators:'));
    expect(ours.length).toBeGreaterThan(0);
    for (const [, t] of ours) {
      const known = Object.keys(schemaOf(t.executor!.split(':')[1]).properties);
      expect(Object.keys(t.options ?? {}).filter((k) => !known.includes(k))).toEqual([]);
    }
  });

  it('a mistyped flag (--vaules) fails with an error that names it, and nothing runs', () => {
    const r = spawnSync(process.execPath, [require.resolve('nx/bin/nx', { paths: [ws] }), 'run', 'todo:status-local', '--vaules=x', '--dryRun'], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', FORCE_COLOR: '0' },
      timeout: 120_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status).not.toBe(0);
    expect(out).toContain("'vaules' is not found in schema");
    expect(out).not.toContain('helm status');
  });
});
