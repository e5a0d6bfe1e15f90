/* The OpenAPI -> kubeconform conversion: file names, inlined refs, strictness, nullability, int-or-string, CRDs; and the real cache. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSIONS, convertCrd, convertNode, convertSwagger, ensureSchemas, schemaFileName } from '../schemas';

it("names files the way kubeconform's KindSuffix does", () => {
  expect(schemaFileName('Deployment', 'apps', 'v1')).toBe('deployment-apps-v1.json');
  expect(schemaFileName('Service', '', 'v1')).toBe('service-v1.json');
  expect(schemaFileName('NetworkPolicy', 'networking.k8s.io', 'v1')).toBe('networkpolicy-networking-v1.json');
  expect(schemaFileName('HTTPRoute', 'gateway.networking.k8s.io', 'v1')).toBe('httproute-gateway-v1.json');
});

const defs = {
  'io.k8s.Thing': {
    type: 'object',
    required: ['name'],
    description: 'dropped',
    properties: {
      name: { type: 'string' },
      port: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
      size: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
      child: { $ref: '#/definitions/io.k8s.Thing' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
    'x-kubernetes-group-version-kind': [{ group: 'example.io', version: 'v1', kind: 'Thing' }, { group: 'example.io', version: 'v1', kind: 'ThingList' }],
  },
};

it('inlines refs, closes objects, makes optional fields nullable, ends recursion', () => {
  const [out] = convertSwagger({ definitions: defs });
  expect(out.file).toBe('thing-example-v1.json');
  const s = out.schema;
  expect(s.additionalProperties).toBe(false);
  expect(s.description).toBeUndefined();
  expect(s.properties.name).toEqual({ type: 'string' });
  expect(s.properties.port).toEqual({ oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] });
  expect(s.properties.size.oneOf).toContainEqual({ type: 'number' });
  expect(s.properties.child).toEqual({});
  expect(s.properties.labels).toEqual({ type: ['object', 'null'], additionalProperties: { type: 'string' } });
  expect(s['x-kubernetes-group-version-kind']).toBeUndefined();
});

it('keeps preserve-unknown-fields objects open and int-or-string CRD fields as oneOf', () => {
  expect(convertNode({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } }, {}).additionalProperties).toBeUndefined();
  expect(convertNode({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] }, {})).toEqual({ oneOf: [{ type: 'string' }, { type: 'integer' }] });
});

it('converts the served versions of a CRD', () => {
  const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: gateway.networking.k8s.io
  names: { kind: HTTPRoute }
  versions:
    - name: v1
      served: true
      schema: { openAPIV3Schema: { type: object, properties: { spec: { type: object, properties: { hostnames: { type: array, items: { type: string } } } } } } }
    - name: v1alpha0
      served: false
      schema: { openAPIV3Schema: { type: object } }
`;
  const out = convertCrd(crd);
  expect(out.map((o) => o.file)).toEqual(['httproute-gateway-v1.json']);
  expect(out[0].schema.properties.spec.additionalProperties).toBe(false);
});

describe('the schema cache (go mod download on first use)', () => {
  it.each(VERSIONS.kubernetes)('Kubernetes %s: the kinds the chart renders, HTTPRoute included', (version) => {
    const { dir, files } = ensureSchemas(version);
    expect(files).toBeGreaterThan(80);
    for (const f of ['deployment-apps-v1', 'statefulset-apps-v1', 'cronjob-batch-v1', 'job-batch-v1', 'service-v1', 'pod-v1', 'secret-v1', 'configmap-v1',
      'persistentvolumeclaim-v1', 'serviceaccount-v1', 'ingress-networking-v1', 'networkpolicy-networking-v1', 'poddisruptionbudget-policy-v1',
      'horizontalpodautoscaler-autoscaling-v2', 'httproute-gateway-v1'])
      expect([f, existsSync(join(dir, `${f}.json`))]).toEqual([f, true]);
    const sts = JSON.parse(readFileSync(join(dir, 'statefulset-apps-v1.json'), 'utf8'));
    expect(sts.properties.spec.properties.persistentVolumeClaimRetentionPolicy).toBeDefined();
  }, 600_000);
});
