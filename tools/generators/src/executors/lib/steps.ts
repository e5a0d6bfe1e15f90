/**
 * A deployment as a list of steps. Each step says whether it is needed (comparing what it would do
 * with the real state) and how to run it. The image chain (build, kind load / registry push) adds
 * steps here later without changing the runner.
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

export interface StepsResult {
  success: boolean;
  ran: string[];
  skipped: string[];
}

export async function runSteps<C>(steps: Step<C>[], ctx: C, log: (line: string) => void = console.log): Promise<StepsResult> {
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${step.name}`;
    const check = await step.needed(ctx);
    if (!check.needed) {
      log(`${label}: skipped (${check.reason})`);
      skipped.push(step.name);
      continue;
    }
    log(`${label}: ${check.reason}`);
    const ok = await step.run(ctx);
    if (!ok) {
      log(`${label}: failed`);
      return { success: false, ran, skipped };
    }
    ran.push(step.name);
  }
  return { success: true, ran, skipped };
}
