import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterError } from './errors';
import { deploymentsIn, httpStatus, ingressManifests, waitForIngress } from './ingress';

describe('ingress controller manifests', () => {
  it('defaults to our Traefik manifests with the official pinned image, IfNotPresent, restricted namespace', () => {
    const m = ingressManifests({});
    expect(m.deployments).toEqual(['traefik/traefik']);
    expect(m.yaml).toMatch(/image: "docker\.io\/library\/traefik:v3\.7\.\d+"/);
    expect(m.yaml).not.toContain('@TRAEFIK_IMAGE@');
    expect(m.yaml).not.toContain('imagePullPolicy: Never');
    const docs = parseAllDocuments(m.yaml).map((d) => d.toJS());
    expect(docs.find((d) => d.kind === 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(docs.find((d) => d.kind === 'IngressClass').metadata.annotations['ingressclass.kubernetes.io/is-default-class']).toBe('true');
    expect(docs.find((d) => d.kind === 'Service').spec.ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30080, 30443]);
  });

  it("keeps the client's address: no SNAT on the NodePort (externalTrafficPolicy Local), Traefik on the node kind maps the ports to", () => {
    const docs = parseAllDocuments(ingressManifests({}).yaml).map((d) => d.toJS());
    expect(docs.find((d) => d.kind === 'Service').spec.externalTrafficPolicy).toBe('Local');
    const affinity = docs.find((d) => d.kind === 'Deployment').spec.template.spec.affinity.nodeAffinity;
    expect(affinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions).toEqual([{ key: 'ingress-ready', operator: 'In', values: ['true'] }]);
  });

  it('takes TRAEFIK_IMAGE and a pluggable INGRESS_MANIFESTS directory', () => {
    expect(ingressManifests({ TRAEFIK_IMAGE: 'offline-kind.local/traefik:v3.6.12' }).yaml).toContain('image: "offline-kind.local/traefik:v3.6.12"');
    const dir = mkdtempSync(join(tmpdir(), 'cluster-ing-'));
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ctl\n  namespace: ing\nspec: {}\n');
    writeFileSync(join(dir, 'a.yml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ing\n');
    writeFileSync(join(dir, 'README.md'), 'ignored');
    const m = ingressManifests({ INGRESS_MANIFESTS: dir });
    expect(m.deployments).toEqual(['ing/ctl']);
    expect(m.yaml.indexOf('Namespace')).toBeLessThan(m.yaml.indexOf('Deployment'));
  });

  it('finds Deployments, defaulting the namespace', () => {
    expect(deploymentsIn('kind: Deployment\nmetadata:\n  name: a\n---\nkind: Service\nmetadata:\n  name: b\n')).toEqual(['default/a']);
  });
});

describe('waiting for the ingress to answer', () => {
  it('httpStatus: the status of a real server on loopback, 0 when nothing listens', async () => {
    const server = createServer((req, res) => res.writeHead(req.headers.host === 'cluster-up.localhost' ? 404 : 500).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await httpStatus({ address: '127.0.0.1', port, path: '/', host: 'cluster-up.localhost' })).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await httpStatus({ address: '127.0.0.1', port, path: '/', host: 'cluster-up.localhost' })).toBe(0);
  });

  it('asks again until something answers, and names the ingress step with what to look at when nothing does', async () => {
    const answers = [0, 0, 404];
    const probe = jest.fn(async () => answers.shift() ?? 404);
    const target = { address: '127.0.0.1', port: 18080, path: '/', host: 'cluster-up.localhost' };
    await expect(waitForIngress(target, probe, 5000, 1)).resolves.toBe(404);
    expect(probe).toHaveBeenCalledTimes(3);

    const err = await waitForIngress(target, async () => 0, 20, 1).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.step).toBe('ingress: answer');
    expect(err.cause).toContain('nothing answered on http://127.0.0.1:18080/ within 0s, although the ingress controller is Ready');
    expect(err.fix).toContain('endpointslices');
  });
});
