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
 * holds a lock the restore needs). After a restore, each service with migrations migrates the restored
 * schema (a dump of an older revision) up to the code's in a one-off Job (migrate-job.ts) while its
 * writers are still stopped, so no pod serves the older schema. Then, restore failed or not, each writer
 * is scaled back to its replicas and its rollout waited for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ClusterError, capture, commandLine, execOrPrint } from '@todo/cluster';
import { EnvContext, envContext, requireKubectl } from '../../platform/scope';
import { OptionError } from '../../platform/validate';
import { k8sName, releaseFullname, runId, waitForJob } from '../../release/jobs';
import { migrateJobYaml } from './migrate-job';
import type { RestoreExecutorSchema } from './schema';

export const RESTORE_TEMPLATE = 'templates/backup/restore-job.yaml';
const FILE = /^(latest|[A-Za-z0-9._-]+\.dump)$/;

/** helm's arguments that render one template of the chart with the release's values (`valuesFile`). */
function templateArgs(ctx: EnvContext, valuesFile: string, showOnly: string, sets: string[] = []): string[] {
  return [
    'template', ctx.release, ctx.chartDir,
    '--namespace', ctx.namespace,
    '--kube-version', ctx.config.chart.kubernetesVersion,
    '-f', valuesFile,
    ...sets.flatMap((set) => ['--set', set]),
    '--show-only', showOnly,
  ];
}

export function restoreTemplateArgs(ctx: EnvContext, valuesFile: string, file: string, id: string): string[] {
  return templateArgs(ctx, valuesFile, RESTORE_TEMPLATE, [`backup.restore.file=${file}`, `backup.restore.runId=${id}`]);
}

/** helm's arguments that render a service's Deployment with the release's values (init containers included). */
export function deploymentTemplateArgs(ctx: EnvContext, valuesFile: string, service: string): string[] {
  return templateArgs(ctx, valuesFile, `templates/${service}/deployment.yaml`);
}

/** A Deployment that writes to the database: an API service and its Deployment's name. */
export type Writer = { service: string; deployment: string };

/** The writers: one per API service, its Deployment named like the chart's components. */
export function writers(ctx: EnvContext): Writer[] {
  const fullname = releaseFullname(ctx.release, ctx.config.chart.name);
  return Object.entries(ctx.config.services)
    .filter(([, svc]) => svc.type === 'fastapi')
    .map(([service]) => ({ service, deployment: k8sName(`${fullname}-${service}`) }));
}

/** Scales the writers to 0 and waits for their pods to go; returns each one's replicas to scale back to. */
function stopWriters(ctx: EnvContext, kubectl: string, all: Writer[]): Map<Writer, number> {
  const scope = ctx.target.kubectlScope;
  const stopped = new Map<Writer, number>();
  for (const writer of all) {
    const name = writer.deployment;
    const r = capture(kubectl, [...scope, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}']);
    if (r.status !== 0) continue; // not deployed (service disabled)
    const replicas = Number(r.stdout.trim() || '1');
    console.log(`stopping the writers: deployment/${name} ${replicas} -> 0`);
    if (!execOrPrint(false, kubectl, [...scope, 'scale', 'deployment', name, '--replicas=0'])) throw new ClusterError('restore', `could not scale deployment/${name} to 0`, `kubectl ${scope.join(' ')} describe deployment/${name}`);
    stopped.set(writer, replicas);
    execOrPrint(false, kubectl, [...scope, 'wait', '--for=delete', 'pod', '-l', `app.kubernetes.io/instance=${ctx.release},app.kubernetes.io/component=${writer.service}`, '--timeout=180s']);
  }
  return stopped;
}

/**
 * Migrates the restored database up to the code's revision, one Job per stopped writer whose service
 * has migrations, before any writer starts (migrate-job.ts). Returns whether every one succeeded.
 */
function migrateRestored(ctx: EnvContext, kubectl: string, valuesFile: string, stopped: Map<Writer, number>, id: string): boolean {
  const scope = ctx.target.kubectlScope;
  for (const { service, deployment: name } of stopped.keys()) {
    if (!ctx.config.services[service]?.migrateModule) continue;
    const rendered = capture(ctx.tools.helm.bin, deploymentTemplateArgs(ctx, valuesFile, service));
    if (rendered.status !== 0) {
      console.log(`rendering deployment/${name} for its migration failed: ${rendered.stderr.trim()}`);
      return false;
    }
    const job = k8sName(`${name}-migrate-${id}`);
    const manifest = migrateJobYaml(rendered.stdout, job);
    if (!manifest) continue;
    console.log(`migrating the restored database before ${service} serves again (job/${job})`);
    if (!(execOrPrint(false, kubectl, [...scope, 'create', '-f', '-'], manifest) && waitForJob(ctx, kubectl, job, 600))) return false;
  }
  return true;
}

/** Scales each writer back and waits for its rollout. */
function startWriters(ctx: EnvContext, kubectl: string, stopped: Map<Writer, number>): boolean {
  const scope = ctx.target.kubectlScope;
  let ok = true;
  for (const [{ deployment: name }, replicas] of stopped) {
    console.log(`starting the writers: deployment/${name} -> ${replicas}`);
    ok = execOrPrint(false, kubectl, [...scope, 'scale', 'deployment', name, `--replicas=${replicas}`]) && ok;
    ok = execOrPrint(false, kubectl, [...scope, 'rollout', 'status', `deployment/${name}`, '--timeout=600s']) && ok;
  }
  if (!ok) console.log(`the API did not come back: kubectl ${scope.join(' ')} get pods; kubectl ${scope.join(' ')} logs deployment/<name>`);
  return ok;
}

export default async function restoreExecutor(options: RestoreExecutorSchema, context: ExecutorContext) {
  const file = options.file ?? 'latest';
  if (!FILE.test(file)) throw new OptionError(`Invalid --file=${file}: neither "latest" nor a dump file name`, 'use --file=latest or a dump file name such as --file=todo-20261126T030000Z.dump');
  const ctx = envContext(options, context);
  const kubectl = requireKubectl(ctx, 'restore');
  const id = runId();
  const job = k8sName(`${releaseFullname(ctx.release, ctx.config.chart.name)}-restore-${id}`);
  const getValues = ['get', 'values', ctx.release, ...ctx.target.helmScope, '--all', '--output', 'yaml'];
  const tmp = mkdtempSync(join(tmpdir(), 'todo-restore-'));
  const valuesFile = join(tmp, 'values.yaml');
  try {
    if (ctx.dryRun) {
      console.log(`$ ${commandLine(ctx.tools.helm.bin, getValues)} > ${valuesFile}  (dry run)`);
      const scope = ctx.target.kubectlScope;
      for (const { deployment: name } of writers(ctx)) console.log(`$ ${commandLine(kubectl, [...scope, 'scale', 'deployment', name, '--replicas=0'])}  (dry run)`);
      console.log(`$ ${commandLine(ctx.tools.helm.bin, restoreTemplateArgs(ctx, valuesFile, file, id))} | ${commandLine(kubectl, [...scope, 'create', '-f', '-'])}  (dry run)`);
      const ok = waitForJob(ctx, kubectl, job, options.timeout ?? 1800);
      for (const { service, deployment: name } of writers(ctx)) {
        if (ctx.config.services[service]?.migrateModule)
          console.log(`$ ${commandLine(ctx.tools.helm.bin, deploymentTemplateArgs(ctx, valuesFile, service))} | <its pod as job/${k8sName(`${name}-migrate-${id}`)}> | ${commandLine(kubectl, [...scope, 'create', '-f', '-'])}  (dry run)`);
      }
      for (const { deployment: name } of writers(ctx))
        console.log(`$ ${commandLine(kubectl, [...scope, 'scale', 'deployment', name, '--replicas=<before>'])} && ${commandLine(kubectl, [...scope, 'rollout', 'status', `deployment/${name}`])}  (dry run)`);
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
    const stopped = stopWriters(ctx, kubectl, writers(ctx));
    let ok = false;
    try {
      console.log(`restoring ${file === 'latest' ? 'the newest dump' : file} into ${ctx.name} (job/${job}): schema public replaced by the dump's, in one transaction`);
      ok = execOrPrint(false, kubectl, [...ctx.target.kubectlScope, 'create', '-f', '-'], rendered.stdout) && waitForJob(ctx, kubectl, job, options.timeout ?? 1800);
      // Only a restore that succeeded changed the schema (a failed one rolled back: the data is as before).
      if (ok && !migrateRestored(ctx, kubectl, valuesFile, stopped, id)) {
        ok = false;
        console.log(`the restored database was not migrated: the writers start on its older schema; fix what the job's output names, then npx nx run ${ctx.config.chart.name}:restore-${ctx.name} again`);
      }
    } finally {
      // Restore failed or not, the app comes back.
      ok = startWriters(ctx, kubectl, stopped) && ok;
    }
    if (ok) console.log('restored, migrated and serving again.');
    return { success: ok };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
