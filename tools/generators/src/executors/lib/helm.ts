/**
 * Finding Helm and telling Helm 3 from Helm 4.
 *
 * Order: HELM or HELM_BIN, then `helm` on PATH, then .tools/bin/helm (`nx run cluster:tools`), then the pinned build that
 * `scripts/go-tool.sh helm3` prints (built from the Go module proxy on first use).
 * For the chart's lint target, which checks both majors, HELM3 / HELM4 override the go-tool builds.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { capture } from './proc';

export interface Helm {
  bin: string;
  major: number;
  version: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goTool(workspaceRoot: string, tool: 'helm3' | 'helm4'): string {
  const script = join(workspaceRoot, 'scripts/go-tool.sh');
  if (!existsSync(script)) throw new Error(`Helm not found: set HELM, put helm on PATH, or restore ${script}`);
  const r = capture('bash', [script, tool]);
  if (r.status !== 0) throw new Error(`scripts/go-tool.sh ${tool} failed (${r.stderr.trim().split('\n').pop()}); set HELM to a helm binary instead`);
  return r.stdout.trim();
}

/** Parses `helm version --template '{{.Version}}'` ("v3.22.0", or "v3.22" for a source build). */
export function parseHelmVersion(output: string): { major: number; version: string } {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(output.trim());
  if (!m) throw new Error(`Cannot read the Helm version from "${output.trim()}"; expected something like v3.22.0`);
  return { major: Number(m[1]), version: m[0].startsWith('v') ? m[0] : `v${m[0]}` };
}

export function probeHelm(bin: string): Helm {
  const r = capture(bin, ['version', '--template', '{{.Version}}']);
  if (r.status !== 0) throw new Error(`${bin} version failed: ${(r.stderr || r.stdout).trim()}`);
  const { major, version } = parseHelmVersion(r.stdout);
  if (major !== 3 && major !== 4) throw new Error(`${bin} is Helm ${version}; the platform supports Helm 3 and Helm 4`);
  return { bin, major, version };
}

/** The Helm that deploy/status/rollback/uninstall use. */
export function findHelm(workspaceRoot: string): Helm {
  const installed = join(process.env.TOOLS_DIR || join(workspaceRoot, '.tools'), 'bin', 'helm');
  const bin =
    process.env.HELM || process.env.HELM_BIN || onPath('helm') || (existsSync(installed) ? installed : undefined) || goTool(workspaceRoot, 'helm3');
  return probeHelm(bin);
}

/** A specific major, for checks that run both (chart lint/template). */
export function findHelmMajor(workspaceRoot: string, tool: 'helm3' | 'helm4'): Helm {
  const bin = (tool === 'helm3' ? process.env.HELM3 : process.env.HELM4) || goTool(workspaceRoot, tool);
  const helm = probeHelm(bin);
  if (`helm${helm.major}` !== tool) throw new Error(`${bin} is Helm ${helm.version}, not ${tool}`);
  return helm;
}

/** Helm 3's --atomic became --rollback-on-failure in Helm 4. */
export function rollbackOnFailureFlag(helm: Helm): string {
  return helm.major >= 4 ? '--rollback-on-failure' : '--atomic';
}

export function findKubectl(workspaceRoot = process.cwd()): string | undefined {
  const installed = join(process.env.TOOLS_DIR || join(workspaceRoot, '.tools'), 'bin', 'kubectl');
  return process.env.KUBECTL || process.env.KUBECTL_BIN || onPath('kubectl') || (existsSync(installed) ? installed : undefined);
}
