/** uninstall-<env>: helm uninstall of the release. The namespace and the database volume stay. */
import type { ExecutorContext } from '@nx/devkit';
import { envContext, helmScope } from '../lib/context';
import { exec } from '../lib/exec';
import type { UninstallExecutorSchema } from './schema';

export default async function uninstallExecutor(options: UninstallExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const ok = exec(ctx.dryRun, ctx.helm.bin, ['uninstall', ctx.release, ...helmScope(ctx), '--wait', '--timeout', options.timeout ?? '5m']);
  return { success: ok };
}
