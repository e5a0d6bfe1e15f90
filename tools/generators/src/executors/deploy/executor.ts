/**
 * deploy-<env> (`npx nx run todo:deploy-local`): the deploy chain of src/deploy (tools, cluster,
 * namespace, build and load each service image, other images, the Helm release, a smoke check), for
 * the environment in the options. The timings go to dist/deploy/<env>.json (read by the deploy benchmark).
 */
import type { ExecutorContext } from '@nx/devkit';
import { deployEnvironment } from '../../deploy';
import type { DeployExecutorSchema } from './schema';

export default async function deployExecutor(options: DeployExecutorSchema, context: ExecutorContext) {
  const { success } = await deployEnvironment(options, context);
  return { success };
}
