/*
 * Every rendered manifest of every scenario (Helm 3 and Helm 4) is valid against the Kubernetes
 * OpenAPI schemas of the lowest and highest supported versions: kubeconform -strict, nothing skipped,
 * no missing schema ignored (HTTPRoute from the Gateway API CRD). Schemas: src/schemas.ts.
 */
import { kubeconform } from '../kubeconform';
import { ensureSchemas } from '../schemas';
import { HELMS, KUBE_VERSIONS, rendered, scenarios } from './suite';

it.each(KUBE_VERSIONS)('Kubernetes %s: kubeconform -strict passes for every scenario', (kubeVersion) => {
  ensureSchemas(kubeVersion, { log: console.log });
  const documents: Record<string, string> = {};
  let objects = 0;
  for (const helm of HELMS)
    for (const s of scenarios) {
      const r = rendered(helm, s, kubeVersion);
      documents[`${helm}-${s.name}`] = r.text;
      objects += r.objects.length;
    }
  const result = kubeconform(documents, kubeVersion);
  expect(result.problems).toEqual([]);
  expect(result).toMatchObject({ ok: true, invalid: 0, errors: 0, skipped: 0, valid: objects });
}, 600_000);
