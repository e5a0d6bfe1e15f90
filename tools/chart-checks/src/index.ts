/** Chart checks: Pod Security / kube-linter policy rules, offline kubeconform schemas, and the scenarios the chart is rendered with. */
export { RULES, checkPolicy, formatFinding } from './policy';
export type { Finding, Rule, RuleSource } from './policy';
export { parseManifests, podTemplate } from './manifests';
export type { K8sObject } from './manifests';
export { ensureSchemas, schemaLocation, VERSIONS } from './schemas';
export { kubeconform } from './kubeconform';
export { allScenarios, readPlatformConfig } from './scenarios';
export { render, helmLint, helmTemplate, HELMS } from './render';
