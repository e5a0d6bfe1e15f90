/** The pinned CLIs the checks run: Helm 3, Helm 4 and kubeconform, built from the Go module proxy by scripts/go-tool.sh (or HELM3 / HELM4 / KUBECONFORM). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '../../..');

export type Tool = 'helm3' | 'helm4' | 'kubeconform';
const ENV: Record<Tool, string> = { helm3: 'HELM3', helm4: 'HELM4', kubeconform: 'KUBECONFORM' };
const found = new Map<Tool, string>();

export function toolPath(tool: Tool): string {
  const cached = found.get(tool);
  if (cached) return cached;
  let path = process.env[ENV[tool]];
  if (!path) {
    const r = spawnSync('bash', [join(WORKSPACE, 'scripts/go-tool.sh'), tool], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`scripts/go-tool.sh ${tool} failed; set ${ENV[tool]} to a ${tool} binary instead`);
    path = r.stdout.trim();
  }
  found.set(tool, path);
  return path;
}

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  output: string;
}

export function run(bin: string, args: string[], options: { input?: string; cwd?: string } = {}): RunResult {
  const r = spawnSync(bin, args, { encoding: 'utf8', input: options.input, cwd: options.cwd, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { ok: false, stdout: '', stderr: r.error.message, output: r.error.message };
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}
