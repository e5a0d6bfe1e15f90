/**
 * The dev loop's long-lived child processes (kubectl logs -f, kubectl port-forward, tar | kubectl exec),
 * kept in one place so that stopping the loop stops every one of them: SIGTERM, then SIGKILL for any
 * still alive after a grace period. Nothing is detached, so a terminal's Ctrl-C reaches them as well.
 */
import { ChildProcess, SpawnOptions, spawn } from 'node:child_process';

export class Children {
  private readonly live = new Set<ChildProcess>();
  private stopping = false;

  spawn(bin: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    if (this.stopping) throw new Error('the dev loop is stopping');
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.live.add(child);
    const forget = () => this.live.delete(child);
    child.once('exit', forget);
    child.once('error', forget);
    return child;
  }

  /** Runs to the end: exit status and output (stdin from `input`). Never throws (127: not started). */
  run(bin: string, args: string[], input?: Buffer | string): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawn(bin, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      } catch (e) {
        resolve({ status: 127, stdout: '', stderr: (e as Error).message });
        return;
      }
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d) => (stdout += d));
      child.stderr?.on('data', (d) => (stderr += d));
      child.once('error', (e) => resolve({ status: 127, stdout, stderr: e.message }));
      child.once('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr }));
      if (input !== undefined) {
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(input);
      }
    });
  }

  get count(): number {
    return this.live.size;
  }

  /** Stops every child; resolves when all have exited (SIGKILL after `graceMs`). */
  async stopAll(graceMs = 1000): Promise<void> {
    this.stopping = true;
    const waiting = [...this.live].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => {
            if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
          }, graceMs).unref();
        }),
    );
    await Promise.all(waiting);
  }
}
