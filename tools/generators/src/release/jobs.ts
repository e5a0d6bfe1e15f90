/**
 * One-off Jobs of an environment (backup-<env>, restore-<env>): the release's resource names, waiting
 * for a Job to finish (polling its status, so a failed Job ends the wait at once) and printing its logs.
 */
import { capture, commandLine } from '@todo/cluster';
import type { EnvContext } from '../platform/scope';

/** A resource name as the chart's helpers cut it: at most 63 characters, no trailing hyphen. */
export const k8sName = (name: string): string => name.slice(0, 63).replace(/-+$/, '');

/** The chart's fullname helper: <release>, or <release>-<chart> when the release name lacks the chart name. */
export function releaseFullname(release: string, chart: string): string {
  return k8sName(release.includes(chart) ? release : `${release}-${chart}`);
}

/** A suffix for Job names: UTC date and time, e.g. 20261126-101500. */
export function runId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Waits until the Job succeeded or failed (or the timeout passed), then prints its logs.
 * Returns true when it succeeded.
 */
export function waitForJob(ctx: EnvContext, kubectl: string, job: string, timeoutSeconds: number, pollMs = 2000): boolean {
  const scope = ctx.target.kubectlScope;
  if (ctx.dryRun) {
    console.log(`$ ${commandLine(kubectl, [...scope, 'wait', '--for=condition=complete', `job/${job}`, `--timeout=${timeoutSeconds}s`])}  (dry run)`);
    console.log(`$ ${commandLine(kubectl, [...scope, 'logs', `job/${job}`, '--all-containers'])}  (dry run)`);
    return true;
  }
  console.log(`waiting for job/${job} (up to ${timeoutSeconds}s)`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  let state = 'running';
  while (Date.now() < deadline) {
    const r = capture(kubectl, [...scope, 'get', 'job', job, '-o', 'jsonpath={.status.succeeded}/{.status.failed}']);
    const [succeeded, failed] = r.stdout.trim().split('/');
    if (Number(succeeded) > 0) {
      state = 'succeeded';
      break;
    }
    if (Number(failed) > 0) {
      state = 'failed';
      break;
    }
    sleep(pollMs);
  }
  const logs = capture(kubectl, [...scope, 'logs', `job/${job}`, '--all-containers']);
  console.log(`${logs.stdout}${logs.stderr}`.trimEnd());
  if (state !== 'succeeded') console.log(`job/${job} ${state === 'running' ? `did not finish within ${timeoutSeconds}s` : 'failed'}: kubectl ${scope.join(' ')} describe job/${job}`);
  return state === 'succeeded';
}
