/**
 * restore-<env>: pg_restore of a logical backup into the environment's database.
 *
 * The Job is the chart's own templates/backup/restore-job.yaml (restricted security context, the
 * backup PVC read-only, the database credentials and network policy of the backup jobs), rendered with
 * the release's values so names, image and database match what is deployed:
 *   helm get values <release> --all -o yaml  ->  helm template --show-only templates/backup/restore-job.yaml
 *   --set backup.restore.file=<file> --set backup.restore.runId=<id>  ->  kubectl create -f -  ->  wait, logs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ClusterError, capture, commandLine, execOrPrint } from '@todo/cluster';
import { EnvContext, envContext, requireKubectl } from '../../platform/scope';
import { OptionError } from '../../platform/validate';
import { releaseFullname, runId, waitForJob } from '../../release/jobs';
import type { RestoreExecutorSchema } from './schema';

export const RESTORE_TEMPLATE = 'templates/backup/restore-job.yaml';
const FILE = /^(latest|[A-Za-z0-9._-]+\.dump)$/;

export function restoreTemplateArgs(ctx: EnvContext, valuesFile: string, file: string, id: string): string[] {
  return [
    'template', ctx.release, ctx.chartDir,
    '--namespace', ctx.namespace,
    '--kube-version', ctx.config.chart.kubernetesVersion,
    '-f', valuesFile,
    '--set', `backup.restore.file=${file}`,
    '--set', `backup.restore.runId=${id}`,
    '--show-only', RESTORE_TEMPLATE,
  ];
}

export default async function restoreExecutor(options: RestoreExecutorSchema, context: ExecutorContext) {
  const file = options.file ?? 'latest';
  if (!FILE.test(file)) throw new OptionError(`Invalid --file=${file}: neither "latest" nor a dump file name`, 'use --file=latest or a dump file name such as --file=todo-20261126T030000Z.dump');
  const ctx = envContext(options, context);
  const kubectl = requireKubectl(ctx, 'restore');
  const id = runId();
  const job = `${releaseFullname(ctx.release, ctx.config.chart.name)}-restore-${id}`.slice(0, 63).replace(/-+$/, '');
  const getValues = ['get', 'values', ctx.release, ...ctx.target.helmScope, '--all', '--output', 'yaml'];
  const tmp = mkdtempSync(join(tmpdir(), 'todo-restore-'));
  const valuesFile = join(tmp, 'values.yaml');
  try {
    if (ctx.dryRun) {
      console.log(`$ ${commandLine(ctx.tools.helm.bin, getValues)} > ${valuesFile}  (dry run)`);
      console.log(`$ ${commandLine(ctx.tools.helm.bin, restoreTemplateArgs(ctx, valuesFile, file, id))} | ${commandLine(kubectl, [...ctx.target.kubectlScope, 'create', '-f', '-'])}  (dry run)`);
      return { success: waitForJob(ctx, kubectl, job, options.timeout ?? 1800) };
    }
    const values = capture(ctx.tools.helm.bin, getValues);
    if (values.status !== 0) throw new ClusterError('restore', `helm get values ${ctx.release} failed: ${values.stderr.trim()}`, `is ${ctx.name} deployed? npx nx run ${ctx.config.chart.name}:status-${ctx.name}`);
    writeFileSync(valuesFile, values.stdout);
    const rendered = capture(ctx.tools.helm.bin, restoreTemplateArgs(ctx, valuesFile, file, id));
    if (rendered.status !== 0) {
      const reason = /could not find template/.test(rendered.stderr) ? ` (backup.enabled is off in release ${ctx.release}, or database.mode is sqlite: there are no backups to restore)` : '';
      throw new ClusterError('restore', `rendering the restore Job failed${reason}: ${rendered.stderr.trim()}`, reason ? `enable backups (backup.enabled: true in values-${ctx.name}.yaml) and deploy-${ctx.name}` : `check the chart renders: npx nx run ${ctx.config.chart.name}:lint`);
    }
    console.log(`restoring ${file === 'latest' ? 'the newest dump' : file} into ${ctx.name} (job/${job}): pg_restore --clean --if-exists --single-transaction`);
    if (!execOrPrint(false, kubectl, [...ctx.target.kubectlScope, 'create', '-f', '-'], rendered.stdout)) return { success: false };
    const ok = waitForJob(ctx, kubectl, job, options.timeout ?? 1800);
    if (ok) console.log(`restored. The API reconnects by itself; to drop cached state: kubectl ${ctx.target.kubectlScope.join(' ')} rollout restart deployment`);
    return { success: ok };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
