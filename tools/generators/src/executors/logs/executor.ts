/** logs-<env>: the services' pod logs, followed across rollouts, until Ctrl-C (src/dev/follower-sessions.ts). */
import type { ExecutorContext } from '@nx/devkit';
import { followLogs } from '../../dev/follower-sessions';
import type { LogsExecutorSchema } from './schema';

export default async function logsExecutor(options: LogsExecutorSchema, context: ExecutorContext) {
  return { success: await followLogs(options, context) };
}
