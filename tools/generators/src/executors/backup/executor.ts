/** backup-<env>: a backup now, as a Job made from the release's backup CronJob (kubectl create job --from). */
import type { ExecutorContext } from '@nx/devkit';
import { envContext } from '../lib/context';
import { exec } from '../lib/exec';
import { kubectlOrThrow, kubectlScope, releaseFullname, runId, waitForJob } from '../lib/jobs';
import type { BackupExecutorSchema } from './schema';

export default async function backupExecutor(options: BackupExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const kubectl = ctx.dryRun ? process.env.KUBECTL || 'kubectl' : kubectlOrThrow();
  const cronJob = `${releaseFullname(ctx.release, ctx.config.chart.name)}-backup`;
  const job = `${cronJob}-${runId()}`.slice(0, 63);
  const created = exec(ctx.dryRun, kubectl, [...kubectlScope(ctx), 'create', 'job', job, `--from=cronjob/${cronJob}`]);
  if (!created) {
    console.log(`Could not start a backup: is backup.enabled set for ${ctx.name}? (values-${ctx.name}.yaml or environments.json "values": { "backup": { "enabled": true } })`);
    return { success: false };
  }
  return { success: waitForJob(ctx, kubectl, job, options.timeout ?? 1800) };
}
