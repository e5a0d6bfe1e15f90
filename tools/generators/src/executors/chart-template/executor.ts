/** todo:template: helm template of the chart for each environment into dist/charts/todo/<env>.yaml. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { readConfigFromDisk } from '../../platform/config';
import { capture, commandLine, findHelmMajor } from '@todo/cluster';
import { templateArgs } from '../../release/chart';
import type { ChartTemplateExecutorSchema } from './schema';

export default async function chartTemplateExecutor(options: ChartTemplateExecutorSchema, context: ExecutorContext) {
  const config = readConfigFromDisk(context.root);
  const chartDir = join(context.root, config.chart.directory);
  const out = join(context.root, options.outputPath ?? `dist/${config.chart.directory}`);
  const helm = findHelmMajor(context.root, options.helm ?? 'helm4');
  mkdirSync(out, { recursive: true });
  let ok = true;
  for (const env of Object.keys(config.environments)) {
    const args = templateArgs(config, chartDir, env);
    const r = capture(helm.bin, args);
    if (r.status !== 0) {
      ok = false;
      console.log(`FAIL $ ${commandLine(helm.bin, args)}\n${r.stderr}`);
      continue;
    }
    writeFileSync(join(out, `${env}.yaml`), r.stdout);
    console.log(`ok   ${join(options.outputPath ?? `dist/${config.chart.directory}`, `${env}.yaml`)}`);
  }
  return { success: ok };
}
