/* Whether the cluster has an image: the containerd names of a Docker reference, a kind node's listing, a registry's digest (a stand-in on loopback). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stepSuite } from '../../__tests__/deploy-workspace';
import { containerdNames } from '../../images/docker';
import { nodesMissing, registryHas } from './image-presence';

const t = stepSuite();

it('containerd names of Docker references', () => {
  expect(containerdNames('todo-backend:c1')).toEqual(['todo-backend:c1', 'docker.io/library/todo-backend:c1']);
  expect(containerdNames('team/app:1')).toEqual(['team/app:1', 'docker.io/team/app:1']);
  expect(containerdNames('localhost:5001/app:1')).toEqual(['localhost:5001/app:1']);
});

it('nodesMissing: a node lacks an image unless it has that id under one of its names (any id when none is asked)', () => {
  const c = t.run('local');
  t.cluster.state.crictl = JSON.stringify({ images: [{ id: 'sha256:1111', repoTags: ['docker.io/library/postgres:17'] }, { id: 'sha256:2222', repoTags: null }] });
  expect(nodesMissing(c, 'postgres:17', 'sha256:1111')).toEqual([]);
  expect(nodesMissing(c, 'postgres:17', 'sha256:9999')).toEqual(['todo-control-plane']);
  expect(nodesMissing(c, 'postgres:17', undefined)).toEqual([]);
  expect(nodesMissing(c, 'postgres:18', undefined)).toEqual(['todo-control-plane']);
  // Listed once per node for the run.
  expect(t.cluster.calls).toEqual(['kind get nodes --name todo', 'docker exec todo-control-plane crictl images -o json']);
});

it('a node whose images cannot be listed names it and how to recreate it', () => {
  const c = t.run('local');
  t.cluster.state.override = (line) => (line.includes('crictl images') ? { status: 1, stderr: 'Error: No such container: todo-control-plane' } : undefined);
  expect(() => nodesMissing(c, 'postgres:17', undefined)).toThrow(/cannot list the images of kind node todo-control-plane: Error: No such container[\s\S]*cluster-down/);
});

it('registryHas: only the same digest under the tag counts; no answer is a no', async () => {
  const server = createServer((req, res) => {
    res.writeHead(req.method === 'HEAD' && req.url === '/v2/team/app/manifests/1' ? 200 : 404, { 'docker-content-digest': 'sha256:aaaa' });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `localhost:${(server.address() as AddressInfo).port}`;
  try {
    expect(await registryHas(`${host}/team/app:1`, [`${host}/team/app@sha256:aaaa`])).toBe(true);
    expect(await registryHas(`${host}/team/app:1`, [`${host}/team/app@sha256:bbbb`])).toBe(false);
    expect(await registryHas(`${host}/team/app:2`, [`${host}/team/app@sha256:aaaa`])).toBe(false);
    expect(await registryHas('app:1', ['app@sha256:aaaa'])).toBe(false); // no registry host in the reference
  } finally {
    server.close();
  }
  expect(await registryHas(`${host}/team/app:1`, [`${host}/team/app@sha256:aaaa`])).toBe(false); // nothing listens any more
});
