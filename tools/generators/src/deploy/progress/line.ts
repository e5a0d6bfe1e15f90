/**
 * One progress line for a long wait. On a TTY it is redrawn in place (carriage return, erase line);
 * otherwise (CI logs, a file, a test) each update is a plain line, at most one per `every` ms, so a
 * log shows the wait without a line per poll.
 */
export interface ProgressLine {
  /**
   * Shows the current state; plain output prints it when `every` ms passed since the last line, or at
   * once when `changed` (e.g. a workload's ready count moved).
   */
  update(text: string, changed?: boolean): void;
  /** Ends the line (on a TTY, leaves the last state on screen and moves to a new line). */
  done(final?: string): void;
}

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressLine(out: Output = process.stdout, every = 5000, now: () => number = Date.now): ProgressLine {
  const tty = !!out.isTTY;
  let last = -Infinity;
  let shown = '';
  return {
    update(text, changed = false) {
      if (tty) {
        const width = Math.max(20, (out.columns ?? 120) - 1);
        shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
        out.write(`\r\x1b[2K${shown}`);
        return;
      }
      const t = now();
      if (t - last < every && !changed) return;
      last = t;
      out.write(`${text}\n`);
    },
    done(final) {
      if (tty) out.write(shown || final ? `\r\x1b[2K${final ?? shown}\n` : '');
      else if (final) out.write(`${final}\n`);
      shown = '';
    },
  };
}
