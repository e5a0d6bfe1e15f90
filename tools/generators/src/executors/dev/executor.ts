/**
 * dev-<env> (`npx nx run todo:dev-local`): the inner loop of src/dev (session.ts): up to date through
 * the deploy steps with the dev configuration, then sync, rebuild or upgrade on each change, with the
 * pods' logs. Ctrl-C stops it and leaves the release running.
 */
import type { ExecutorContext } from '@nx/devkit';
import { devSession } from '../../dev/session';
import type { DevExecutorSchema } from './schema';

export default async function devExecutor(options: DevExecutorSchema, context: ExecutorContext) {
  return { success: await devSession(options, context) };
}
