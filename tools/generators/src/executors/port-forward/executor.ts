/** port-forward-<env>: each service and the database on fixed local ports, kept across rollouts, until Ctrl-C (src/dev/follower-sessions.ts). */
import type { ExecutorContext } from '@nx/devkit';
import { forwardPorts } from '../../dev/follower-sessions';
import type { PortForwardExecutorSchema } from './schema';

export default async function portForwardExecutor(options: PortForwardExecutorSchema, context: ExecutorContext) {
  return { success: await forwardPorts(options, context) };
}
