/* The "load <service>" step on a recording cluster: kind nodes, minikube, a registry (a stand-in on loopback), and an existing cluster without one. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MINIKUBE_ENV, stepSuite } from '../../__tests__/deploy-workspace';
import { loadStep } from './load';

const t = stepSuite(MINIKUBE_ENV);

const ctxFor = (environment: string) => t.run(environment);
const calls = () => t.cluster.calls;

it('skipped when the node has the image id under its name, kind load otherwise', async () => {
  const c = ctxFor('local');
  const step = loadStep(c.images[0]);
  t.cluster.state.crictl = JSON.stringify({ images: [{ id: 'sha256:bbbb000000001111', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
  expect(await step.needed(c)).toEqual({ needed: false, reason: 'the node already has todo-backend:content-b1 (bbbb00000000)' });
  c.forgetNodeImages();
  t.cluster.state.crictl = JSON.stringify({ images: [{ id: 'sha256:0ld', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
  expect((await step.needed(c)).reason).toBe('node todo-control-plane lacks todo-backend:content-b1 (bbbb00000000): kind load');
  expect(await step.run(c)).toBe(true);
  expect(calls()).toContain('kind load docker-image todo-backend:content-b1 --name todo');
  // The load goes to every node or fails: the listing is updated rather than asked again.
  expect((await step.needed(c)).needed).toBe(false);
  expect(calls().filter((l) => l.includes('crictl images'))).toHaveLength(2);
});

it('a failed kind load fails the step and forgets the node listings', async () => {
  const c = ctxFor('local');
  const step = loadStep(c.images[0]);
  t.cluster.state.crictl = JSON.stringify({ images: [] });
  expect((await step.needed(c)).needed).toBe(true);
  t.cluster.state.override = (line) => (line.startsWith('kind load') ? { status: 1 } : undefined);
  expect(await step.run(c)).toBe(false);
  await step.needed(c);
  expect(calls().filter((l) => l.includes('crictl images'))).toHaveLength(2);
});

it('minikube: skipped when `minikube image ls` lists the image, minikube image load otherwise', async () => {
  const c = ctxFor('mini');
  c.tools.minikube = 'minikube';
  const step = loadStep(c.images[1]);
  t.cluster.state.override = (line) => (line.startsWith('minikube image ls') ? { stdout: 'docker.io/library/todo-frontend:content-f1\nregistry.k8s.io/pause:3.10\n' } : undefined);
  expect(await step.needed(c)).toEqual({ needed: false, reason: 'minikube already has todo-frontend:content-f1' });
  t.cluster.state.override = undefined;
  expect(await step.needed(c)).toEqual({ needed: true, reason: 'minikube image load todo-frontend:content-f1' });
  expect(await step.run(c)).toBe(true);
  expect(calls()).toEqual(['minikube image ls --profile=todo', 'minikube image ls --profile=todo', 'minikube image load todo-frontend:content-f1 --profile=todo']);
});

it('a dry run checks nothing and prints the load', async () => {
  const c = t.run('local', 3, { dryRun: true });
  c.images[0].record = undefined;
  const step = loadStep(c.images[0]);
  expect(await step.needed(c)).toEqual({ needed: true, reason: 'load todo-backend (dry run: not checked)' });
  expect(await step.run(c)).toBe(true);
  expect(console.log).toHaveBeenCalledWith('$ kind load docker-image todo-backend:<content tag> --name todo  (dry run)');
  expect(calls()).toEqual([]);
});

it('an existing cluster without a registry cannot get our images, and says what to do', async () => {
  const c = ctxFor('prod');
  await expect(Promise.resolve().then(() => loadStep(c.images[0]).needed(c))).rejects.toThrow(/npx nx g env prod --force --cluster=context:prod-admin@eks --registry=<registry>/);
});

describe('registry environment', () => {
  // A registry stand-in on loopback answering HEAD /v2/<repo>/manifests/<tag> with a digest.
  let digest = 'sha256:aaaa';
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/v2/todo-backend/manifests/content-b1' ? 200 : 404, { 'docker-content-digest': digest });
    res.end();
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('push unless the registry already has this image digest under the tag', async () => {
    digest = 'sha256:aaaa';
    const c = ctxFor('local');
    c.registry = `localhost:${port}`;
    t.cluster.state.inspect = JSON.stringify([{ Id: 'sha256:bbbb', RepoTags: [], RepoDigests: [`localhost:${port}/todo-backend@sha256:aaaa`] }]);
    const step = loadStep(c.images[0]);
    expect(await step.needed(c)).toEqual({ needed: false, reason: `localhost:${port}/todo-backend:content-b1 is in the registry with this image's digest` });
    digest = 'sha256:cccc'; // the registry holds another image under that tag
    expect(await step.needed(c)).toEqual({ needed: true, reason: `push localhost:${port}/todo-backend:content-b1 to localhost:${port}` });
    expect(await step.run(c)).toBe(true);
    expect(calls()).toEqual(expect.arrayContaining([`docker tag todo-backend:content-b1 localhost:${port}/todo-backend:content-b1`, `docker push localhost:${port}/todo-backend:content-b1`]));
  });

  it('a failed push names the login and the insecure-registries setting', async () => {
    const c = ctxFor('local');
    c.registry = `localhost:${port}`;
    t.cluster.state.override = (line) => (line.startsWith('docker push') ? { status: 1 } : undefined);
    const err = await Promise.resolve().then(() => loadStep(c.images[0]).run(c)).catch((e) => e);
    expect([err.step, err.cause]).toEqual(['push backend', `docker push localhost:${port}/todo-backend:content-b1 failed`]);
    expect(err.fix).toMatch(/^log in \(`docker login localhost:\d+`\).*insecure-registries/);
  });

  it('a failed tag fails the step before any push', async () => {
    const c = ctxFor('local');
    c.registry = `localhost:${port}`;
    t.cluster.state.override = (line) => (line.startsWith('docker tag') ? { status: 1 } : undefined);
    expect(await loadStep(c.images[0]).run(c)).toBe(false);
    expect(calls().some((l) => l.startsWith('docker push'))).toBe(false);
  });
});
