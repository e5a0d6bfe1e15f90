/* The "other images" step on a recording cluster: the chart's images we don't build, loaded or pushed when the Docker daemon has them, pulled by the cluster otherwise. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stepSuite } from '../../__tests__/deploy-workspace';
import { otherImagesStep } from './other-images';

const t = stepSuite();

/** A run whose values name two images we don't build: postgres (the daemon has it) and busybox (it has not). */
function runWithImages(environment = 'local', options = {}) {
  const c = t.run(environment, 3, options);
  c.sets = ['database.postgres.image.repository=postgres', 'database.postgres.image.tag=17', 'tools.wait.repository=busybox', 'tools.wait.tag=1.37'];
  t.cluster.state.override = (line) => (line === 'docker image inspect postgres:17' ? { stdout: JSON.stringify([{ Id: 'sha256:p17', RepoTags: ['postgres:17'], RepoDigests: [] }]) } : undefined);
  return c;
}

it('none in the values: nothing to do', async () => {
  expect(await otherImagesStep.needed(t.run('local'))).toEqual({ needed: false, reason: 'none' });
});

it('kind: loads what the daemon has and the node lacks, and says what the cluster pulls', async () => {
  const c = runWithImages();
  t.cluster.state.crictl = JSON.stringify({ images: [] });
  expect(await otherImagesStep.needed(c)).toEqual({ needed: true, reason: 'kind load postgres:17 from the Docker daemon; the cluster pulls busybox:1.37' });
  expect(await otherImagesStep.run(c)).toBe(true);
  expect(t.cluster.calls.filter((l) => l.startsWith('kind load'))).toEqual(['kind load docker-image postgres:17 --name todo']);
  t.cluster.state.crictl = JSON.stringify({ images: [{ id: 'sha256:p17', repoTags: ['docker.io/library/postgres:17'] }] });
  c.forgetNodeImages();
  expect(await otherImagesStep.needed(c)).toEqual({ needed: false, reason: 'postgres:17 already on the node; the cluster pulls busybox:1.37' });
});

it('an existing cluster without a registry, and a dry run, leave them to the cluster', async () => {
  expect(await otherImagesStep.needed(runWithImages('prod'))).toEqual({ needed: false, reason: 'the cluster pulls busybox:1.37, postgres:17' });
  expect((await otherImagesStep.needed(runWithImages('local', { dryRun: true }))).needed).toBe(false);
  expect(t.cluster.calls).toEqual([]);
});

it('a registry: tags and pushes what the registry lacks', async () => {
  const server = createServer((req, res) => (res.writeHead(404), res.end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const registry = `localhost:${(server.address() as AddressInfo).port}`;
  try {
    const c = runWithImages();
    c.registry = registry;
    c.sets.push(`global.imageRegistry=${registry}`);
    expect(await otherImagesStep.needed(c)).toEqual({ needed: true, reason: `push ${registry}/postgres:17 from the Docker daemon; the cluster pulls ${registry}/busybox:1.37` });
    expect(await otherImagesStep.run(c)).toBe(true);
    expect(t.cluster.calls.filter((l) => /^docker (tag|push)/.test(l))).toEqual([`docker tag postgres:17 ${registry}/postgres:17`, `docker push ${registry}/postgres:17`]);
  } finally {
    server.close();
  }
});
