/** status-<env>: helm status of the release, and its pods. */
import type { ExecutorContext } from '@nx/devkit';
import { execOrPrint } from '@todo/cluster';
import { envContext } from '../../platform/scope';
import type { StatusExecutorSchema } from './schema';

export default async function statusExecutor(options: StatusExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const ok = execOrPrint(ctx.dryRun, ctx.tools.helm.bin, ['status', ctx.release, ...ctx.target.helmScope]);
  const kubectl = ctx.tools.kubectl;
  if (kubectl || ctx.dryRun)
    execOrPrint(ctx.dryRun, kubectl ?? 'kubectl', [
      ...ctx.target.kubectlScope,
      'get', 'pods', '-l', `app.kubernetes.io/instance=${ctx.release}`, '-o', 'wide',
    ]);
  else console.log('kubectl not found (set KUBECTL or PATH): pods not listed');
  return { success: ok };
}
