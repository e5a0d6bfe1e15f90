/**
 * Helm, found by the one tool order (tools.ts findTool) and told apart: Helm 3 or Helm 4.
 * When no helm is found, the pinned build that `scripts/go-tool.sh helm3` prints (built from the Go
 * module proxy on first use). The chart's lint target checks both majors: HELM3 / HELM4 override the
 * go-tool builds there.
 */
import { Runner, capture } from './exec';
import { findTool, pinnedTool } from './tools';

export interface Helm {
  bin: string;
  major: number;
  version: string;
}

const goTool = (workspaceRoot: string, tool: 'helm3' | 'helm4') =>
  pinnedTool(workspaceRoot, 'go-tool.sh', tool, `set ${tool === 'helm3' ? 'HELM (or HELM3)' : 'HELM4'} to a helm binary instead`);

/** Parses `helm version --template '{{.Version}}'` ("v3.22.0", or "v3.22" for a source build). */
export function parseHelmVersion(output: string): { major: number; version: string } {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(output.trim());
  if (!m) throw new Error(`Cannot read the Helm version from "${output.trim()}"; expected something like v3.22.0`);
  return { major: Number(m[1]), version: m[0].startsWith('v') ? m[0] : `v${m[0]}` };
}

export function probeHelm(bin: string, runner: Runner = capture): Helm {
  const r = runner(bin, ['version', '--template', '{{.Version}}']);
  if (r.status !== 0) throw new Error(`${bin} version failed: ${(r.stderr || r.stdout).trim()}`);
  const { major, version } = parseHelmVersion(r.stdout);
  if (major !== 3 && major !== 4) throw new Error(`${bin} is Helm ${version}; the platform supports Helm 3 and Helm 4`);
  return { bin, major, version };
}

/** The Helm that deploy/status/rollback/uninstall use. */
export function findHelm(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): Helm {
  return probeHelm(findTool('helm', env) ?? goTool(workspaceRoot, 'helm3'));
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
