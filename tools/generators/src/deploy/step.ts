/**
 * A deployment as a list of steps. Each step says whether it is needed (comparing what it would do
 * with the real state) and how to run it. The runner prints each step's outcome and time; an error
 * thrown by a step carries the timings so far (as `steps`).
 */
export interface StepCheck {
  needed: boolean;
  /** Why (shown either way), e.g. "namespace todo-qa exists with restricted pod security". */
  reason: string;
}

export interface Step<C> {
  name: string;
  needed(ctx: C): StepCheck | Promise<StepCheck>;
  /** Returns false (or throws) on failure. */
  run(ctx: C): boolean | Promise<boolean>;
}

export interface StepTiming {
  name: string;
  outcome: 'ran' | 'skipped' | 'failed';
  reason: string;
  /** Seconds, check included. */
  seconds: number;
  /** When the step's check began (ms since the epoch), so a benchmark can line steps up with other clocks. */
  startedAt: number;
}

export interface StepsResult {
  success: boolean;
  ran: string[];
  skipped: string[];
  steps: StepTiming[];
}

export async function runSteps<C>(steps: Step<C>[], ctx: C, log: (line: string) => void = console.log): Promise<StepsResult> {
  const ran: string[] = [];
  const skipped: string[] = [];
  const timings: StepTiming[] = [];
  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${step.name}`;
    const t0 = Date.now();
    const secs = () => (Date.now() - t0) / 1000;
    let check: StepCheck;
    try {
      check = await step.needed(ctx);
    } catch (e) {
      timings.push({ name: step.name, outcome: 'failed', reason: 'check failed', seconds: secs(), startedAt: t0 });
      throw Object.assign(e as object, { steps: timings });
    }
    if (!check.needed) {
      log(`${label}: skipped (${check.reason}) ${secs().toFixed(1)}s`);
      skipped.push(step.name);
      timings.push({ name: step.name, outcome: 'skipped', reason: check.reason, seconds: secs(), startedAt: t0 });
      continue;
    }
    log(`${label}: ${check.reason}`);
    let ok = false;
    try {
      ok = await step.run(ctx);
    } catch (e) {
      throw Object.assign(e as object, { steps: timings });
    } finally {
      timings.push({ name: step.name, outcome: ok ? 'ran' : 'failed', reason: check.reason, seconds: secs(), startedAt: t0 });
    }
    if (!ok) {
      log(`${label}: failed after ${secs().toFixed(1)}s`);
      return { success: false, ran, skipped, steps: timings };
    }
    log(`${label}: done in ${secs().toFixed(1)}s`);
    ran.push(step.name);
  }
  return { success: true, ran, skipped, steps: timings };
}
