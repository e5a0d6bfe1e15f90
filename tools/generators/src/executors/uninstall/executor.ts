/**
 * uninstall-<env>: helm uninstall of the release. The namespace, the database volume and the Secret
 * stay (the chart keeps them on purpose: retained PVCs, a resource-policy "keep" Secret), and this
 * says so, listing them and how to delete them for good.
 */
import type { ExecutorContext } from '@nx/devkit';
import { capture, execOrPrint } from '@todo/cluster';
import { envContext } from '../../platform/scope';
import type { UninstallExecutorSchema } from './schema';

export default async function uninstallExecutor(options: UninstallExecutorSchema, context: ExecutorContext) {
  const ctx = envContext(options, context);
  const ok = execOrPrint(ctx.dryRun, ctx.tools.helm.bin, ['uninstall', ctx.release, ...ctx.target.helmScope, '--wait', '--timeout', options.timeout ?? '5m']);
  if (!ok || ctx.dryRun) return { success: ok };
  const kubectl = ctx.tools.kubectl;
  const selector = `app.kubernetes.io/instance=${ctx.release}`;
  if (!kubectl) {
    console.log(`Uninstalled ${ctx.release} from ${ctx.namespace}. Its database volume and Secret are kept on purpose (kubectl not found, so not listed).`);
    return { success: true };
  }
  const listed = capture(kubectl, [...ctx.target.kubectlScope, 'get', 'pvc,secret', '-l', selector, '-o', 'name']);
  if (listed.status !== 0) {
    console.log(`Uninstalled ${ctx.release} from ${ctx.namespace}. Its database volume and Secret are kept on purpose; listing them failed: ${listed.stderr.trim().split('\n').pop()}`);
    return { success: true };
  }
  const kept = listed.stdout.split('\n').filter(Boolean);
  console.log(
    kept.length
      ? `Uninstalled ${ctx.release} from ${ctx.namespace}. Kept on purpose, so a reinstall finds the data: ${kept.join(', ')}.\n` +
          `Delete them for good with: kubectl ${ctx.target.kubectlScope.join(' ')} delete pvc,secret -l ${selector}`
      : `Uninstalled ${ctx.release} from ${ctx.namespace}; no data volumes or Secrets were left.`,
  );
  return { success: true };
}
