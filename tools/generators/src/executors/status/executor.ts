/**
 * status-<env>: helm status of the release, its pods, and how busy they are: CPU and memory per
 * container against requests and limits (the metrics API), restarts and the last OOM kill, and the
 * HorizontalPodAutoscalers' replicas and conditions. A cluster without a metrics API still gets the rest.
 */
import type { ExecutorContext } from '@nx/devkit';
import { capture, commandLine, execOrPrint, metricsApi } from '@todo/cluster';
import { envContext } from '../../platform/scope';
import { containerLoads, hpaReport, loadTable } from '../../release/load';
import { releaseSelector } from '../../release/pods';
import type { StatusExecutorSchema } from './schema';

export default async function statusExecutor(options: StatusExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const ok = execOrPrint(ctx.dryRun, ctx.tools.helm.bin, ['status', ctx.release, ...ctx.target.helmScope]);
  const kubectl = ctx.tools.kubectl;
  const selector = releaseSelector(ctx.release);
  if (!kubectl && !ctx.dryRun) {
    console.log('kubectl not found (set KUBECTL or PATH): pods not listed');
    return { success: ok };
  }
  const k = kubectl ?? 'kubectl';
  const scope = ctx.target.kubectlScope;
  execOrPrint(ctx.dryRun, k, [...scope, 'get', 'pods', '-l', selector, '-o', 'wide']);
  const podsArgs = [...scope, 'get', 'pods', '-l', selector, '-o', 'json'];
  const metricsPath = `/apis/metrics.k8s.io/v1beta1/namespaces/${ctx.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`;
  const hpaArgs = [...scope, 'get', 'hpa', '-l', selector, '-o', 'json'];
  if (ctx.dryRun) {
    for (const args of [podsArgs, [...scope, 'get', '--raw', metricsPath], hpaArgs]) console.log(`$ ${commandLine(k, args)}`);
    return { success: ok };
  }
  console.log('\nLoad:');
  const pods = capture(k, podsArgs, { timeoutMs: 60_000 });
  const api = metricsApi(k, scope, capture);
  const metrics = api.available ? capture(k, [...scope, 'get', '--raw', metricsPath], { timeoutMs: 60_000 }) : undefined;
  if (pods.status === 0) {
    const rows = containerLoads(pods.stdout, metrics?.status === 0 ? metrics.stdout : undefined);
    for (const l of loadTable(rows, metrics?.status === 0)) console.log(l);
  } else console.log(`pods: ${pods.stderr.trim()}`);
  const hpa = capture(k, hpaArgs, { timeoutMs: 60_000 });
  if (hpa.status === 0) for (const l of hpaReport(hpa.stdout)) console.log(l);
  else console.log(`autoscalers: ${hpa.stderr.trim()}`);
  return { success: ok };
}
