/** helm lint / helm template of the chart for each environment: shared by the chart targets and the manifests generator. */
import { join } from 'node:path';
import { Helm, capture, commandLine } from '@todo/cluster';
import type { PlatformConfig } from '../platform/config';

export function lintArgs(chartDir: string, env: string, kubeVersion: string): string[] {
  return ['lint', '--strict', chartDir, '-f', join(chartDir, `values-${env}.yaml`), '--kube-version', kubeVersion];
}

export function templateArgs(config: PlatformConfig, chartDir: string, env: string, release = config.chart.name): string[] {
  return [
    'template', release, chartDir,
    '--namespace', config.environments[env].namespace,
    '-f', join(chartDir, 'values.yaml'),
    '-f', join(chartDir, `values-${env}.yaml`),
    '--kube-version', config.chart.kubernetesVersion,
  ];
}

export interface CheckResult {
  ok: boolean;
  command: string;
  output: string;
}

export function runHelm(helm: Helm, args: string[]): CheckResult {
  const r = capture(helm.bin, args);
  return { ok: r.status === 0, command: commandLine(helm.bin, args), output: `${r.stdout}${r.stderr}` };
}
