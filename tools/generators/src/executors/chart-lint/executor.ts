/** todo:lint: helm lint --strict with every values-<env>.yaml, with Helm 3 and Helm 4. */
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { readConfigFromDisk } from '../../platform/config';
import { findHelmMajor } from '@todo/cluster';
import { lintArgs, runHelm } from '../../release/chart';
import type { ChartLintExecutorSchema } from './schema';

export default async function chartLintExecutor(options: ChartLintExecutorSchema, context: ExecutorContext) {
  const config = readConfigFromDisk(context.root);
  const chartDir = join(context.root, config.chart.directory);
  let failures = 0;
  for (const tool of options.helm ?? ['helm3', 'helm4']) {
    const helm = findHelmMajor(context.root, tool);
    for (const env of Object.keys(config.environments)) {
      const r = runHelm(helm, lintArgs(chartDir, env, config.chart.kubernetesVersion));
      console.log(`${r.ok ? 'ok  ' : 'FAIL'} helm ${helm.version} lint --strict values-${env}.yaml`);
      if (!r.ok) {
        failures++;
        console.log(`$ ${r.command}\n${r.output}`);
      }
    }
  }
  return { success: failures === 0 };
}
