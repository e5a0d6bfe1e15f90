/** rollback-<env>: helm rollback of the release (previous revision unless --revision). */
import type { ExecutorContext } from '@nx/devkit';
import { envContext, helmScope } from '../lib/context';
import { exec } from '../lib/exec';
import type { RollbackExecutorSchema } from './schema';

export default async function rollbackExecutor(options: RollbackExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const revision = options.revision ? [String(options.revision)] : [];
  const ok = exec(ctx.dryRun, ctx.helm.bin, [
    'rollback', ctx.release, ...revision, ...helmScope(ctx), '--wait', '--timeout', options.timeout ?? '5m',
  ]);
  return { success: ok };
}
