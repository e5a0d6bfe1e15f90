/** status-<env>: helm status of the release, and its pods. */
import type { ExecutorContext } from '@nx/devkit';
import { envContext, helmScope } from '../lib/context';
import { exec } from '../lib/exec';
import { kubectlScope } from '../lib/jobs';
import { findKubectl } from '../lib/helm';
import type { StatusExecutorSchema } from './schema';

export default async function statusExecutor(options: StatusExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const ok = exec(ctx.dryRun, ctx.helm.bin, ['status', ctx.release, ...helmScope(ctx)]);
  const kubectl = findKubectl();
  if (kubectl || ctx.dryRun)
    exec(ctx.dryRun, kubectl ?? 'kubectl', [
      ...kubectlScope(ctx),
      'get', 'pods', '-l', `app.kubernetes.io/instance=${ctx.release}`, '-o', 'wide',
    ]);
  else console.log('kubectl not found (set KUBECTL or PATH): pods not listed');
  return { success: ok };
}
