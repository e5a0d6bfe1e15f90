/**
 * Policy check of rendered manifests: every rule of rules/ (the Pod Security Standard "restricted",
 * kube-linter's default checks, the platform's own), minus the ones a chart disables. Each rule has an
 * id, the source it comes from, and returns findings that name the object, the container and what to
 * change.
 */
import { K8sObject } from './manifests';
import { KUBE_LINTER_RULES } from './rules/kube-linter';
import { PLATFORM_RULES } from './rules/platform';
import { PSS_RULES } from './rules/pod-security';
import { Finding, Rule } from './rules/rule';

export type { Finding, Rule, RuleSource } from './rules/rule';

export const RULES: readonly Rule[] = [...PSS_RULES, ...KUBE_LINTER_RULES, ...PLATFORM_RULES];

export interface PolicyOptions {
  /** Rule ids to skip (each must exist; list them, with the reason, in the chart README). */
  disabled?: string[];
}

/** Runs every rule (minus the disabled ones) over one set of manifests (one render). */
export function checkPolicy(objects: K8sObject[], options: PolicyOptions = {}): Finding[] {
  const disabled = new Set(options.disabled ?? []);
  for (const d of disabled) if (!RULES.some((r) => r.id === d)) throw new Error(`Unknown policy rule "${d}"; known: ${RULES.map((r) => r.id).join(', ')}`);
  return RULES.filter((r) => !disabled.has(r.id)).flatMap((r) => r.check(objects));
}

export function formatFinding(f: Finding): string {
  return `${f.rule}: ${f.object}${f.container ? ` container ${f.container}` : ''}: ${f.message}`;
}
