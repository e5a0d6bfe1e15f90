/**
 * No silent waits: progress for the deploy's long waits. The deploy steps call these at three small
 * points: the Helm release (runWithProgress + releaseWatch), the smoke check (smokeAttempt); kind's
 * and kubectl's own progress lines are streamed by @todo/cluster.
 */
import type { DeployRun } from '../run';
import { progressLine, type Output } from './line';

import type { WatchTarget } from './helm-wait';

export { runWithProgress, type WatchTarget } from './helm-wait';
export { progressLine } from './line';

/** The release's objects as the chart labels them (app.kubernetes.io/instance=<release>). */
export function releaseWatch(run: DeployRun): WatchTarget {
  return {
    kubectl: run.tools.kubectl,
    kubectlArgs: run.target.kubectlContext,
    namespace: run.namespace,
    selector: `app.kubernetes.io/instance=${run.release}`,
  };
}

/**
 * The smoke check's attempts: returns a function taking one attempt's statuses that reports it
 * ("attempt 3: /login 404, /api/tasks 502") and says whether all matched.
 */
export function smokeAttempt(checks: { path: string; expect: number }[], out?: Output): (statuses: number[]) => boolean {
  const line = progressLine(out ?? process.stdout, 5000);
  let n = 0;
  let previous = '';
  return (statuses) => {
    n++;
    const ok = statuses.every((s, i) => s === checks[i].expect);
    const what = checks.map((c, i) => `${c.path} ${statuses[i] || 'no answer'}`).join(', ');
    if (ok) {
      if (n > 1) line.done(`  attempt ${n}: ${what}`);
      return true;
    }
    line.update(`  attempt ${n}: ${what} (expecting ${checks.map((c) => c.expect).join(', ')}; retrying for up to 60 s)`, what !== previous);
    previous = what;
    return false;
  };
}
