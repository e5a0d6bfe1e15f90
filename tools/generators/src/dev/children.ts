/**
 * The dev loop's child processes (kubectl get/exec/annotate, kubectl logs -f, kubectl port-forward),
 * all run through @todo/cluster's streamAndCapture and kept in one place, so that stopping the loop
 * stops every one of them: one abort signal ends them all (SIGTERM), and stopAll() waits until each
 * has exited. Nothing is detached, so a terminal's Ctrl-C reaches them as well.
 */
import { RunResult, streamAndCapture } from '@todo/cluster';

export interface ChildOptions {
  /** stdin (a tar stream for the sync). */
  input?: string | Buffer;
  /** Each output line as it comes (a log follower, a port-forward's "Forwarding from" line). */
  onLine?: (line: string, from: 'stdout' | 'stderr') => void;
  /** Ends this child alone (a port-forward whose pod went away). */
  signal?: AbortSignal;
  /** Keep no output (followers that run for hours). */
  discard?: boolean;
  /** Working directory and environment (default: this process's). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class Children {
  private readonly live = new Set<Promise<RunResult>>();
  private readonly stopping = new AbortController();

  /** Runs to the end: exit status and output. Never throws (127: not started, or the loop is stopping). */
  run(bin: string, args: string[], options: ChildOptions = {}): Promise<RunResult> {
    if (this.stopping.signal.aborted) return Promise.resolve({ status: 127, stdout: '', stderr: 'the dev loop is stopping' });
    const signal = options.signal ? AbortSignal.any([this.stopping.signal, options.signal]) : this.stopping.signal;
    const done = streamAndCapture(bin, args, { input: options.input, signal, discard: options.discard, cwd: options.cwd, env: options.env, onLine: options.onLine ?? (() => undefined) });
    this.live.add(done);
    void done.then(() => this.live.delete(done));
    return done;
  }

  get count(): number {
    return this.live.size;
  }

  /** Stops every child; resolves when all have exited, or after `graceMs` (then naming how many are left). */
  async stopAll(graceMs = 1000): Promise<number> {
    this.stopping.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.live), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    return this.live.size;
  }
}
