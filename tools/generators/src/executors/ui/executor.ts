/** ui-<env>: the dashboard alone for a deployed environment, until Ctrl-C (src/dashboard/env.ts). */
import type { ExecutorContext } from '@nx/devkit';
import { serveDashboard } from '../../dashboard/env';
import type { UiExecutorSchema } from './schema';

export default async function uiExecutor(options: UiExecutorSchema, context: ExecutorContext) {
  return { success: await serveDashboard(options, context) };
}
