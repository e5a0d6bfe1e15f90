/** helm lint --strict and helm template of the chart, for a scenario, a Helm major and a Kubernetes version. */
import { join } from 'node:path';
import { K8sObject, parseManifests } from './manifests';
import { Scenario } from './scenarios';
import { RunResult, run, toolPath } from './tools';

export type HelmTool = 'helm3' | 'helm4';
export const HELMS: HelmTool[] = ['helm3', 'helm4'];

function valuesArgs(chartDir: string, s: Scenario): string[] {
  return [...s.valuesFiles.flatMap((f) => ['-f', join(chartDir, f)]), ...s.set.flatMap((p) => ['--set', p])];
}

export function helmLint(helm: HelmTool, chartDir: string, s: Scenario, kubeVersion: string): RunResult {
  return run(toolPath(helm), ['lint', '--strict', chartDir, ...valuesArgs(chartDir, s), '--kube-version', kubeVersion]);
}

export function helmTemplate(helm: HelmTool, chartDir: string, s: Scenario, kubeVersion: string, extra: string[] = [], release = 'todo'): RunResult {
  return run(toolPath(helm), ['template', release, chartDir, '--namespace', s.namespace, ...valuesArgs(chartDir, s), '--kube-version', kubeVersion, ...extra]);
}

export interface Rendered {
  scenario: string;
  helm: HelmTool;
  kubeVersion: string;
  text: string;
  objects: K8sObject[];
}

/** Renders or throws with Helm's message. */
export function render(helm: HelmTool, chartDir: string, s: Scenario, kubeVersion: string): Rendered {
  const r = helmTemplate(helm, chartDir, s, kubeVersion);
  if (!r.ok) throw new Error(`helm template (${helm}, ${s.name}, Kubernetes ${kubeVersion}) failed:\n${r.output}`);
  return { scenario: s.name, helm, kubeVersion, text: r.stdout, objects: parseManifests(r.stdout, `${helm} ${s.name}`) };
}
