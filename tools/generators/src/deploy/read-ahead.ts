/**
 * The checks' reads, started together. A deploy with nothing to do is ten checks, each a short kubectl,
 * docker or kind call, one after the other: 1.2 s of a 3.2 s no-op (tools/deploy-bench/README.md). They
 * do not depend on each other, so the reads the checks made last time (dist/deploy/<env>.reads.json,
 * written after each successful deploy) are started at once when the next run begins; each check then
 * takes its read's answer instead of running it again, once.
 *
 * Safe because nothing is assumed: an answer is the real command's output, taken at most a moment
 * earlier than the check would have run it, and before anything in this run changed. As soon as a
 * step runs (changes something), every answer not yet taken is dropped: from then on each command runs
 * when it is asked for. A read the checks no longer make is simply not taken; a new one runs live.
 * Only plain reads are recorded (no stdin, no terminal, no own environment or directory).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RunOptions, RunResult, Runner } from '@todo/cluster';
import type { Spawner } from './run';

/** A recorded read: the command and its arguments. */
export type Read = [cmd: string, args: string[]];

/** How long the run waits for the reads before its first check; a read still running then is run again when asked for. */
export const READ_AHEAD_WAIT_MS = 3_000;

/** The only programs a reads file may start (the checks' tools): a file edited by hand runs nothing else. */
export const READ_AHEAD_TOOLS = ['docker', 'kubectl', 'kind', 'helm', 'minikube', 'git'];

const plain = (opts: RunOptions = {}) => opts.input === undefined && !opts.inherit && !opts.env && !opts.cwd;
const keyOf = (cmd: string, args: string[]) => JSON.stringify([cmd, args]);

export class ReadAhead {
  private readonly answers = new Map<string, RunResult>();
  private readonly recorded = new Map<string, Read>();
  private recording = false;

  constructor(private readonly inner: Runner) {}

  /** The run's runner: an answer read ahead when there is one (once), else the command itself. */
  readonly runner: Runner = (cmd, args, opts) => {
    if (!plain(opts)) return this.inner(cmd, args, opts);
    const key = keyOf(cmd, args);
    if (this.recording) this.recorded.set(key, [cmd, args]);
    const answer = this.answers.get(key);
    if (answer) {
      this.answers.delete(key);
      return answer;
    }
    return this.inner(cmd, args, opts);
  };

  /**
   * Starts the reads of `file` together and waits for them (at most `waitMs`). Reads that are not done
   * by then are left out: their checks run them. A missing or unreadable file starts nothing.
   */
  async start(file: string, spawn: Spawner, waitMs = READ_AHEAD_WAIT_MS): Promise<number> {
    const reads = readReads(file);
    if (!reads.length) return 0;
    const controller = new AbortController();
    const done = reads.map(async ([cmd, args]) => {
      const r = await spawn(cmd, args, { discard: false, onLine: () => undefined, signal: controller.signal });
      if (!controller.signal.aborted) this.answers.set(keyOf(cmd, args), r);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(done), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    controller.abort(); // the late ones: stopped, and their answers never kept
    return this.answers.size;
  }

  /** Records the plain reads made until stopRecording(): the checks'. */
  startRecording(): void {
    this.recording = true;
  }

  stopRecording(): void {
    this.recording = false;
  }

  /** Something changed: no answer read before it is given any more. */
  drop(): void {
    this.answers.clear();
  }

  /** The checks' reads of this run, for the next one. */
  save(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify([...this.recorded.values()], null, 1)}\n`);
  }
}

function readReads(file: string): Read[] {
  if (!existsSync(file)) return [];
  try {
    const reads = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(reads)) return [];
    return reads.filter(
      (r): r is Read =>
        Array.isArray(r) && typeof r[0] === 'string' && READ_AHEAD_TOOLS.includes(basename(r[0])) && Array.isArray(r[1]) && r[1].every((a: unknown) => typeof a === 'string'),
    );
  } catch {
    return []; // a damaged file costs only the head start
  }
}
