/**
 * restore-<env>: pg_restore of a logical backup into the environment's database.
 *
 * The Job is the chart's own templates/backup/restore-job.yaml (restricted security context, the
 * backup PVC read-only, the database credentials and network policy of the backup jobs), rendered with
 * the release's values so names, image and database match what is deployed:
 *   helm get values <release> --all -o yaml  ->  helm template --show-only templates/backup/restore-job.yaml
 *   --set backup.restore.file=<file> --set backup.restore.runId=<id>  ->  kubectl create -f -  ->  wait, logs.
 *
 * The writers are stopped first: every Deployment of an API service (the database's clients) is scaled
 * to 0 and its pods waited for, so no request writes between the dump's state and the restore (and none
 * holds a lock the restore needs). Afterwards, restore failed or not, each is scaled back to its
 * replicas; its pods' migrate init container brings the restored schema (a dump of an older revision)
 * up to the code's before the server starts, and the rollout is waited for.
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

/** The Deployments that write to the database: one per API service, named like the chart's components. */
export function writerDeployments(ctx: EnvContext): string[] {
  const fullname = releaseFullname(ctx.release, ctx.config.chart.name);
  return Object.entries(ctx.config.services)
    .filter(([, svc]) => svc.type === 'fastapi')
    .map(([name]) => `${fullname}-${name}`.slice(0, 63).replace(/-+$/, ''));
}

/** Scales the writers to 0 and waits for their pods to go; returns each one's replicas to scale back to. */
function stopWriters(ctx: EnvContext, kubectl: string, names: string[]): Map<string, number> {
  const scope = ctx.target.kubectlScope;
  const stopped = new Map<string, number>();
  for (const name of names) {
    const r = capture(kubectl, [...scope, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}']);
    if (r.status !== 0) continue; // not deployed (service disabled)
    const replicas = Number(r.stdout.trim() || '1');
    console.log(`stopping the writers: deployment/${name} ${replicas} -> 0`);
    if (!execOrPrint(false, kubectl, [...scope, 'scale', 'deployment', name, '--replicas=0'])) throw new ClusterError('restore', `could not scale deployment/${name} to 0`, `kubectl ${scope.join(' ')} describe deployment/${name}`);
    stopped.set(name, replicas);
    const component = name.slice(releaseFullname(ctx.release, ctx.config.chart.name).length + 1);
    execOrPrint(false, kubectl, [...scope, 'wait', '--for=delete', 'pod', '-l', `app.kubernetes.io/instance=${ctx.release},app.kubernetes.io/component=${component}`, '--timeout=180s']);
  }
  return stopped;
}

/**
 * Scales each writer back, waits for its rollout, then migrates the restored database up to the code's
 * revision in one of its pods. The pods' own migrate init container cannot be relied on here: a deploy
 * whose migrations did not change renders the Deployment without it (the chart's migrate skip), and
 * scaling back reuses that template, so an older dump would otherwise stay at its older revision.
 */
function startWriters(ctx: EnvContext, kubectl: string, stopped: Map<string, number>, restored: boolean): boolean {
  const scope = ctx.target.kubectlScope;
  let ok = true;
  for (const [name, replicas] of stopped) {
    console.log(`starting the writers: deployment/${name} -> ${replicas}`);
    ok = execOrPrint(false, kubectl, [...scope, 'scale', 'deployment', name, `--replicas=${replicas}`]) && ok;
    ok = execOrPrint(false, kubectl, [...scope, 'rollout', 'status', `deployment/${name}`, '--timeout=600s']) && ok;
    const migrate = migrateArgs(ctx, name);
    if (restored && ok && migrate && replicas > 0) {
      console.log(`migrating the restored database: ${migrate.at(-1)} in deployment/${name}`);
      ok = execOrPrint(false, kubectl, migrate) && ok;
    }
  }
  if (!ok) console.log(`the API did not come back: kubectl ${scope.join(' ')} get pods; kubectl ${scope.join(' ')} logs deployment/<name>`);
  return ok;
}

/** kubectl's arguments (after the binary) that migrate through a writer's pod; undefined for a service without migrations. */
function migrateArgs(ctx: EnvContext, name: string): string[] | undefined {
  const service = name.slice(releaseFullname(ctx.release, ctx.config.chart.name).length + 1);
  const module = ctx.config.services[service]?.migrateModule;
  return module ? [...ctx.target.kubectlScope, 'exec', `deployment/${name}`, '-c', service, '--', 'python', '-m', module] : undefined;
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
      const scope = ctx.target.kubectlScope;
      for (const name of writerDeployments(ctx)) console.log(`$ ${commandLine(kubectl, [...scope, 'scale', 'deployment', name, '--replicas=0'])}  (dry run)`);
      console.log(`$ ${commandLine(ctx.tools.helm.bin, restoreTemplateArgs(ctx, valuesFile, file, id))} | ${commandLine(kubectl, [...scope, 'create', '-f', '-'])}  (dry run)`);
      const ok = waitForJob(ctx, kubectl, job, options.timeout ?? 1800);
      for (const name of writerDeployments(ctx)) {
        const migrate = migrateArgs(ctx, name);
        console.log(`$ ${commandLine(kubectl, [...scope, 'scale', 'deployment', name, '--replicas=<before>'])} && ${commandLine(kubectl, [...scope, 'rollout', 'status', `deployment/${name}`])}${migrate ? ` && ${commandLine(kubectl, migrate)}` : ''}  (dry run)`);
      }
      return { success: ok };
    }
    const values = capture(ctx.tools.helm.bin, getValues);
    if (values.status !== 0) throw new ClusterError('restore', `helm get values ${ctx.release} failed: ${values.stderr.trim()}`, `is ${ctx.name} deployed? npx nx run ${ctx.config.chart.name}:status-${ctx.name}`);
    writeFileSync(valuesFile, values.stdout);
    const rendered = capture(ctx.tools.helm.bin, restoreTemplateArgs(ctx, valuesFile, file, id));
    if (rendered.status !== 0) {
      const reason = /could not find template/.test(rendered.stderr) ? ` (backup.enabled is off in release ${ctx.release}, or database.mode is sqlite: there are no backups to restore)` : '';
      throw new ClusterError('restore', `rendering the restore Job failed${reason}: ${rendered.stderr.trim()}`, reason ? `enable backups (backup.enabled: true in values-${ctx.name}.yaml) and deploy-${ctx.name}` : `check the chart renders: npx nx run ${ctx.config.chart.name}:lint`);
    }
    const stopped = stopWriters(ctx, kubectl, writerDeployments(ctx));
    let ok = false;
    try {
      console.log(`restoring ${file === 'latest' ? 'the newest dump' : file} into ${ctx.name} (job/${job}): schema public replaced by the dump's, in one transaction`);
      ok = execOrPrint(false, kubectl, [...ctx.target.kubectlScope, 'create', '-f', '-'], rendered.stdout) && waitForJob(ctx, kubectl, job, options.timeout ?? 1800);
    } finally {
      // Restore failed or not, the app comes back (a failed restore rolled back: the data is as before).
      ok = startWriters(ctx, kubectl, stopped, ok) && ok;
    }
    if (ok) console.log('restored, migrated and serving again.');
    return { success: ok };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
