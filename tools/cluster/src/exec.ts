/** Running external commands: captured output, and a ClusterError naming the step when one fails. */
import { spawnSync } from 'node:child_process';
import { ClusterError } from './errors';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export type Runner = (cmd: string, args: string[], opts?: { input?: string; timeoutMs?: number; inherit?: boolean }) => RunResult;

export const run: Runner = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    stdio: opts.inherit ? ['pipe', 'inherit', 'inherit'] : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};

/** Runs; throws ClusterError(step, <last stderr lines>, fix) unless it exits 0. */
export function must(runner: Runner, step: string, fix: string, cmd: string, args: string[], opts?: Parameters<Runner>[2]): string {
  const r = runner(cmd, args, opts);
  if (r.status !== 0) {
    // With inherit the command's own lines went to the terminal as they came (kind's steps, rollouts).
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || `exit ${r.status}${opts?.inherit ? ' (its output is above)' : ''}`;
    throw new ClusterError(step, `\`${[cmd.split('/').pop(), ...args].join(' ')}\` failed: ${detail}`, fix);
  }
  return r.stdout;
}
