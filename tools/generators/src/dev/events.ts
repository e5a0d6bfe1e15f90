/**
 * The loop's hook for whatever watches it (the dashboard, tools/dashboard): the loop calls these at
 * the start and end of each pass, when files reached a service's pods, with a deploy run's step
 * timings, and with a failure and its output. Lines the loop prints are not repeated here: the
 * session hands the same `say`/`stepLog` lines to the watcher. Nothing here may throw or block.
 * `pass` is the loop's number of the pass an event belongs to: a pass that only syncs may run while an
 * earlier one rebuilds in the background (loop.ts), so two passes can be open at once.
 */
import type { StepTiming } from '../deploy';

export interface DevEvents {
  /** A pass begins: `title` is "pass <n>" or the action it runs ("rebuild backend (from the dashboard)"). */
  passStarted(title: string, files: string[], pass?: number): void;
  /** Files reached the pods of `service` in this pass (the server reloads them). */
  synced(service: string, pass?: number): void;
  /** The timings of the deploy steps this pass ran, with the reason each ran or was skipped. */
  steps(steps: StepTiming[], pass?: number): void;
  /** Something failed in this pass; `output` is what the failing step or command said. */
  failed(what: string, output: string, pass?: number): void;
  /** The pass is over; `didWork` is false when every file was ignored. */
  passEnded(didWork: boolean, pass?: number): void;
}

/** An action asked of the loop from outside (the dashboard): it runs as a pass of its own, after the current one. */
export type LoopAction = { kind: 'rebuild' | 'restart'; service: string } | { kind: 'deploy' };
