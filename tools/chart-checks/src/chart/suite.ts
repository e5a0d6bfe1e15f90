/* Shared by the chart suite's spec files: the committed chart, its scenarios, and memoized renders. */
import { join } from 'node:path';
import { K8sObject, id } from '../manifests';
import { HELMS, HelmTool, Rendered, helmTemplate, render } from '../render';
import { Scenario, allScenarios, readPlatformConfig } from '../scenarios';
import { VERSIONS } from '../schemas';
import { WORKSPACE } from '../tools';

export const config = readPlatformConfig();
export const chartDir = join(WORKSPACE, config.chart.directory);
export const scenarios = allScenarios(config);
export const environments = scenarios.filter((s) => s.name.startsWith('env:'));
/** Lowest and highest Kubernetes versions of the chart's kubeVersion range (versions.json). */
export const KUBE_VERSIONS = VERSIONS.kubernetes;
export { HELMS };
export type { HelmTool, Rendered, Scenario };

const cache = new Map<string, Rendered>();

export function rendered(helm: HelmTool, s: Scenario, kubeVersion = KUBE_VERSIONS[0]): Rendered {
  const key = `${helm} ${s.name} ${kubeVersion}`;
  let r = cache.get(key);
  if (!r) {
    r = render(helm, chartDir, s, kubeVersion);
    cache.set(key, r);
  }
  return r;
}

export function scenario(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** The first environment with extra --set pairs (for one-off logic tests). */
export function withValues(set: string[], base: Scenario = environments[0]): Scenario {
  return { ...base, name: `${base.name}+${set.join(',')}`, set: [...base.set, ...set] };
}

/** helm template that is expected to fail: returns Helm's message. */
export function templateError(helm: HelmTool, s: Scenario, extra: string[] = []): string {
  const r = helmTemplate(helm, chartDir, s, KUBE_VERSIONS[0], extra);
  if (r.ok) throw new Error(`helm template (${helm}, ${s.name}) was expected to fail but passed`);
  return r.stderr;
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? `/${name}` : ''} in ${objects.map(id).join(', ')}`);
  return o;
}

export function kinds(objects: K8sObject[]): string[] {
  return objects.map(id).sort();
}
