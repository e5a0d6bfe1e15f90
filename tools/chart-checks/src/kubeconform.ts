/** kubeconform -strict over rendered manifests, against the generated schemas of one Kubernetes version (nothing skipped, no missing schema ignored). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, schemaLocation } from './schemas';
import { run, toolPath } from './tools';

export interface ConformResult {
  ok: boolean;
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
  /** One line per problem: file, kind/name, message. */
  problems: string[];
}

/** Validates named YAML streams ({ "env:local.yaml": text, ... }). */
export function kubeconform(documents: Record<string, string>, kubeVersion: string, root = cacheRoot()): ConformResult {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconform-'));
  try {
    const files = Object.entries(documents).map(([name, text]) => {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.yaml`);
      writeFileSync(file, text);
      return file;
    });
    const r = run(toolPath('kubeconform'), [
      '-strict',
      '-summary',
      '-output', 'json',
      '-kubernetes-version', kubeVersion,
      '-schema-location', schemaLocation(root),
      ...files,
    ]);
    let report: { resources?: Array<{ filename: string; kind: string; name: string; status: string; msg: string }>; summary?: Record<string, number> };
    try {
      report = JSON.parse(r.stdout);
    } catch {
      throw new Error(`kubeconform gave no JSON report: ${r.output}`);
    }
    const s = report.summary ?? {};
    const problems = (report.resources ?? [])
      .filter((x) => x.status !== 'statusValid')
      .map((x) => `${x.filename.slice(dir.length + 1)}: ${x.kind}/${x.name}: ${x.status.replace('status', '')}: ${x.msg}`);
    return { ok: r.ok && problems.length === 0, valid: s.valid ?? 0, invalid: s.invalid ?? 0, errors: s.errors ?? 0, skipped: s.skipped ?? 0, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
