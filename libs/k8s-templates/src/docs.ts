/**
 * Data for the chart README: the values table (read from values.yaml's `# --` comments, the way
 * helm-docs does) and the kube-linter default checks the chart is held to (implemented in
 * tools/chart-checks, whose tests check that this list and the implemented rules agree).
 */
import { parseDocument } from 'yaml';

/** kube-linter's checks that are enabled by default (docs/generated/checks.md, "Enabled by default: Yes"). */
export const KUBE_LINTER_DEFAULT_CHECKS: readonly string[] = [
  'dangling-service',
  'deprecated-service-account-field',
  'docker-sock',
  'drop-net-raw-capability',
  'duplicate-env-var',
  'env-var-secret',
  'host-ipc',
  'host-network',
  'host-pid',
  'invalid-target-ports',
  'latest-tag',
  'liveness-port',
  'mismatching-selector',
  'no-anti-affinity',
  'no-extensions-v1beta',
  'no-read-only-root-fs',
  'non-existent-service-account',
  'pdb-max-unavailable',
  'pdb-min-available',
  'pdb-unhealthy-pod-eviction-policy',
  'privilege-escalation-container',
  'privileged-container',
  'readiness-port',
  'run-as-non-root',
  'sensitive-host-mounts',
  'ssh-port',
  'startup-port',
  'unsafe-sysctls',
  'unset-cpu-requirements',
  'unset-memory-requirements',
];

export interface ValueRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
/** Markdown table text: pipes escaped, and <placeholders> kept visible (not read as HTML tags). */
const prose = (text: string) => cell(text).replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One row per value documented with a `# -- description` comment line right above its key.
 * The default is the value in the file (compact JSON for lists and maps).
 */
export function valuesTable(valuesYaml: string): ValueRow[] {
  const doc = parseDocument(valuesYaml);
  const rows: ValueRow[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  let description: string | undefined;
  for (const line of valuesYaml.split('\n')) {
    const comment = /^\s*# -- (.*)$/.exec(line);
    if (comment) {
      description = comment[1].trim();
      continue;
    }
    const key = /^(\s*)([A-Za-z0-9_.-]+):(\s|$)/.exec(line);
    if (!key) {
      if (!/^\s*(#|-|$)/.test(line)) description = undefined;
      continue;
    }
    const indent = key[1].length;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    stack.push({ indent, key: key[2] });
    if (description !== undefined) {
      const path = stack.map((s) => s.key);
      const value = doc.getIn(path) as unknown;
      const js = value && typeof value === 'object' && 'toJSON' in (value as object) ? (value as { toJSON(): unknown }).toJSON() : value;
      const type = Array.isArray(js) ? 'list' : js === null ? 'null' : typeof js === 'object' ? 'object' : typeof js;
      rows.push({ key: cell(path.join('.')), type, default: cell(JSON.stringify(js)), description: prose(description) });
      description = undefined;
    }
  }
  return rows;
}
