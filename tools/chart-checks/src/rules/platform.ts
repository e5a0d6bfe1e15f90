/** The platform's own rules: images are loaded into the nodes, and no pod talks to the API server. */
import { Rule, perContainer, perPod } from './rule';

export const PLATFORM_RULES: Rule[] = [
  perContainer('image-pull-policy', 'platform', 'imagePullPolicy is IfNotPresent (images are loaded into the nodes; tags are immutable)', (c) =>
    c.container.imagePullPolicy === 'IfNotPresent' ? undefined : `imagePullPolicy is ${c.container.imagePullPolicy ?? 'unset'}; use IfNotPresent`,
  ),
  perPod('no-service-account-token', 'platform', 'automountServiceAccountToken is false (no pod talks to the API server)', (p) =>
    p.spec.automountServiceAccountToken === false ? undefined : 'automountServiceAccountToken is not false',
  ),
];
