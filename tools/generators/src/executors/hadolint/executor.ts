/** <image project>:lint: hadolint on the project's Dockerfile; every finding (info and up) fails by default. */
import type { ExecutorContext } from '@nx/devkit';
import { capture, pinnedTool, stream } from '@todo/cluster';
import type { HadolintExecutorSchema } from './schema';

/** hadolint: $HADOLINT, else on PATH, else scripts/py-tool.sh hadolint (pinned, from PyPI, cached). */
export function findHadolint(workspaceRoot: string): string {
  if (process.env.HADOLINT) return process.env.HADOLINT;
  const onPath = capture('sh', ['-c', 'command -v hadolint']);
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  return pinnedTool(workspaceRoot, 'py-tool.sh', 'hadolint', 'install hadolint, or set HADOLINT to its binary (python3 with pip is needed for the pinned one; PIP_INDEX_URL for a mirror)');
}

export default async function hadolintExecutor(options: HadolintExecutorSchema, context: ExecutorContext) {
  try {
    const hadolint = findHadolint(context.root);
    const status = stream(hadolint, ['--no-color', '--failure-threshold', options.failureThreshold ?? 'info', ...options.dockerfiles], {
      cwd: context.root,
    });
    if (status === 0) console.log(`hadolint: no findings in ${options.dockerfiles.join(', ')}`);
    return { success: status === 0 };
  } catch (err) {
    console.error((err as Error).message);
    return { success: false };
  }
}
