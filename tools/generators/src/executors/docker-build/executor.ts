/**
 * <image project>:docker-build. An image in the Docker daemon is a side effect, not a file Nx can
 * restore, so this target is never cached by Nx: it decides itself, against the daemon, whether to
 * build (images/build.ts: content key, content tag, record in dist/images/<project>.json).
 */
import type { ExecutorContext } from '@nx/devkit';
import { ensureImage } from '../../images/build';
import type { DockerBuildExecutorSchema } from './schema';

export default async function dockerBuildExecutor(options: DockerBuildExecutorSchema, context: ExecutorContext) {
  try {
    ensureImage(options, context.root, context.projectName ?? options.image);
    return { success: true };
  } catch (err) {
    console.error((err as Error).message);
    return { success: false };
  }
}
