/** rollback-<env>: helm rollback of the release (previous revision unless --revision). */
import type { ExecutorContext } from '@nx/devkit';
import { execOrPrint } from '@todo/cluster';
import { envContext } from '../../platform/scope';
import type { RollbackExecutorSchema } from './schema';

export default async function rollbackExecutor(options: RollbackExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const revision = options.revision ? [String(options.revision)] : [];
  const ok = execOrPrint(ctx.dryRun, ctx.tools.helm.bin, [
    'rollback', ctx.release, ...revision, ...ctx.target.helmScope, '--wait', '--timeout', options.timeout ?? '5m',
  ]);
  return { success: ok };
}
