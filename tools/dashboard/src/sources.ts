/** Small readers of what the dashboard shows that is not the loop's own state (pure or file-only, so they are tested alone). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { DeployRecord } from './state';

/**
 * `kubectl top pods --no-headers` -> pod name -> { cpu, memory }. Undefined when the output is not
 * that table (no metrics API: the page then hides CPU and memory).
 */
export function parseTop(output: string): Map<string, { cpu: string; memory: string }> | undefined {
  const usage = new Map<string, { cpu: string; memory: string }>();
  for (const line of output.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [name, cpu, memory, ...rest] = line.split(/\s+/);
    if (rest.length || !/^\d+m?$/.test(cpu ?? '') || !/^\d+(Ki|Mi|Gi)?$/.test(memory ?? '')) return undefined;
    usage.set(name, { cpu, memory });
  }
  return usage;
}

/** dist/deploy/<env>.json as deploy-<env> wrote it, with the file's time; undefined when there is none or it is not a record. */
export function readDeployRecord(path: string): DeployRecord | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as DeployRecord;
    if (typeof r.success !== 'boolean' || !Array.isArray(r.steps)) return undefined;
    return { ...r, at: statSync(path).mtime.toISOString() };
  } catch {
    return undefined;
  }
}
