/** Running the CLIs (helm, kubectl) the executors drive: printed, inherited stdio or captured. */
import { spawnSync } from 'node:child_process';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Shell-quotes an argument for the printed command line. */
export function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(bin: string, args: string[]): string {
  return [bin, ...args].map(quote).join(' ');
}

/** Runs and captures output (for checks and version probes). Never throws: status 127 when the binary is missing. */
export function capture(bin: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd,
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { status: 127, stdout: '', stderr: String(r.error.message) };
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs with the terminal attached (what the user should see), after printing the command. */
export function stream(
  bin: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): number {
  if (!options.quiet) console.log(`$ ${commandLine(bin, args)}`);
  const r = spawnSync(bin, args, {
    stdio: [options.input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
    input: options.input,
    cwd: options.cwd,
    env: options.env ?? process.env,
  });
  if (r.error) {
    console.error(`${bin}: ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}
