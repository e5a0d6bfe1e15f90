/**
 * The one process runner of the platform (the cluster tool, the deploy, the executors and the dev loop
 * use it): captured output, the terminal attached, or both at once, and a ClusterError naming the step
 * when a command that must succeed fails. A missing binary is status 127, never an exception.
 */
import { spawn, spawnSync } from 'node:child_process';
import { ClusterError } from './errors';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** stdout/stderr go to the terminal instead of being captured. */
  inherit?: boolean;
}

export type Runner = (cmd: string, args: string[], opts?: RunOptions) => RunResult;

/** Shell-quotes an argument for the printed command line. */
export function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(bin: string, args: string[]): string {
  return [bin, ...args].map(quote).join(' ');
}

/** Runs and captures output (checks, version probes). Never throws. */
export function capture(bin: string, args: string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs,
    stdio: opts.inherit ? ['pipe', 'inherit', 'inherit'] : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { status: 127, stdout: '', stderr: String(r.error.message) };
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The cluster steps' runner: capture with a 10-minute ceiling (kind create and waits are bounded). */
export const run: Runner = (cmd, args, opts = {}) => capture(cmd, args, { timeoutMs: 600_000, ...opts });

/** Runs with the terminal attached (what the user should see), after printing the command. Returns the exit status. */
export function stream(bin: string, args: string[], opts: Omit<RunOptions, 'inherit'> & { quiet?: boolean } = {}): number {
  if (!opts.quiet) console.log(`$ ${commandLine(bin, args)}`);
  const r = spawnSync(bin, args, {
    stdio: [opts.input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs,
  });
  if (r.error) {
    console.error(`${bin}: ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}

/**
 * Streams and captures at once (asynchronously): each output line goes to `onLine` (default: the
 * terminal) as it arrives, and the whole output is returned at the end. For long commands whose
 * output the user watches and the caller also reads (a build, a helm upgrade, the dev loop's sync).
 * `input` may be binary (a tar stream); `signal` ends the command (SIGTERM) when aborted; `discard`
 * keeps nothing (followers that run for hours: their lines only go to `onLine`).
 */
export function streamAndCapture(
  bin: string,
  args: string[],
  opts: Omit<RunOptions, 'inherit' | 'input'> & {
    input?: string | Buffer;
    signal?: AbortSignal;
    discard?: boolean;
    onLine?: (line: string, from: 'stdout' | 'stderr') => void;
  } = {},
): Promise<RunResult> {
  const onLine = opts.onLine ?? ((line, from) => (from === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`));
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      signal: opts.signal,
    });
    const out = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    for (const from of ['stdout', 'stderr'] as const) {
      const pipe = child[from]!;
      pipe.setEncoding('utf8');
      pipe.on('data', (chunk: string) => {
        if (!opts.discard) out[from] += chunk;
        const lines = (partial[from] + chunk).split('\n');
        partial[from] = lines.pop() ?? '';
        for (const l of lines) onLine(l, from);
      });
    }
    // An abort reports an error and then closes: the close (with the lines flushed) settles the result.
    let failed: Error | undefined;
    child.on('error', (e) => {
      failed = e;
      if (child.pid === undefined) resolve({ status: 127, stdout: out.stdout, stderr: `${out.stderr}${e.message}` });
    });
    child.on('close', (code, sig) => {
      for (const from of ['stdout', 'stderr'] as const) if (partial[from]) onLine(partial[from], from);
      resolve({ status: code ?? (sig ? 128 : 1), stdout: out.stdout, stderr: failed && code === null ? `${out.stderr}${failed.message}` : out.stderr });
    });
    if (child.stdin) {
      // A command that exits (or never starts) before reading its input closes the pipe: not our error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Runs; throws ClusterError(step, <last stderr lines>, fix) unless it exits 0. */
export function must(runner: Runner, step: string, fix: string, cmd: string, args: string[], opts?: RunOptions): string {
  const r = runner(cmd, args, opts);
  if (r.status !== 0) {
    // With inherit the command's own lines went to the terminal as they came (kind's steps, rollouts).
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || `exit ${r.status}${opts?.inherit ? ' (its output is above)' : ''}`;
    throw new ClusterError(step, `\`${[cmd.split('/').pop(), ...args].join(' ')}\` failed: ${detail}`, fix);
  }
  return r.stdout;
}

/** The last non-empty line of a command's output (where CLIs put the error). */
export const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';

/** Runs with the terminal attached, or in a dry run only prints the command (and its stdin). True when it succeeded. */
export function execOrPrint(dryRun: boolean, bin: string, args: string[], input?: string): boolean {
  if (dryRun) {
    console.log(`$ ${commandLine(bin, args)}${input === undefined ? '' : ' <<EOF\n' + input.trimEnd() + '\nEOF'}  (dry run)`);
    return true;
  }
  return stream(bin, args, { input }) === 0;
}
