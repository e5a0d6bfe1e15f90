/** backup-<env>: a backup now, as a Job made from the release's backup CronJob (kubectl create job --from). */
import type { ExecutorContext } from '@nx/devkit';
import { ClusterError, execOrPrint } from '@todo/cluster';
import { envContext, requireKubectl } from '../../platform/scope';
import { releaseFullname, runId, waitForJob } from '../../release/jobs';
import type { BackupExecutorSchema } from './schema';

export default async function backupExecutor(options: BackupExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const kubectl = requireKubectl(ctx, 'backup');
  const cronJob = `${releaseFullname(ctx.release, ctx.config.chart.name)}-backup`;
  const job = `${cronJob}-${runId()}`.slice(0, 63);
  const created = execOrPrint(ctx.dryRun, kubectl, [...ctx.target.kubectlScope, 'create', 'job', job, `--from=cronjob/${cronJob}`]);
  if (!created) {
    const error = new ClusterError(
      'backup',
      `could not start a Job from cronjob/${cronJob} (kubectl's message is above)`,
      `is backup.enabled set for ${ctx.name}? (values-${ctx.name}.yaml or environments.json "values": { "backup": { "enabled": true } }), then deploy-${ctx.name}`,
    );
    console.log(error.format());
    return { success: false };
  }
  return { success: waitForJob(ctx, kubectl, job, options.timeout ?? 1800) };
}
