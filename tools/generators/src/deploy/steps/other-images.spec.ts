/* The "other images" step on a recording cluster: the chart's images we don't build, loaded or pushed when the Docker daemon has them, pulled by the cluster otherwise. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

it('pushed ahead (the cluster step started it while kind creates the cluster): the step waits for that push instead of pushing; a failed one is pushed again', async () => {
  // The registry has postgres:17 with the digest the daemon's image got from the push ahead.
  const server = createServer((req, res) => (res.writeHead(req.url === '/v2/postgres/manifests/17' ? 200 : 404, { 'docker-content-digest': 'sha256:d17' }), res.end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const registry = `localhost:${(server.address() as AddressInfo).port}`;
  // startPush runs the real docker CLI's place-holder: a script that records its calls and exits as told.
  const dir = mkdtempSync(join(tmpdir(), 'push-ahead-'));
  const docker = join(dir, 'docker');
  writeFileSync(docker, `#!/bin/sh\necho "$@" >> ${dir}/calls\n[ "$1" != push ] || [ ! -e ${dir}/fail ] || { echo "connection refused" >&2; exit 1; }\n`);
  chmodSync(docker, 0o755);
  const saved = process.env.DOCKER;
  process.env.DOCKER = docker;
  try {
    const c = runWithImages();
    c.registry = registry;
    c.sets.push(`global.imageRegistry=${registry}`);
    t.cluster.state.override = (line) =>
      line === 'docker image inspect postgres:17' ? { stdout: JSON.stringify([{ Id: 'sha256:p17', RepoTags: ['postgres:17'], RepoDigests: [`${registry}/postgres@sha256:d17`] }]) } : undefined;
    c.pushOtherImagesAhead([{ ref: `${registry}/postgres:17`, source: 'postgres:17' }], () => undefined);
    c.releasePushesAhead(); // the cluster step's: the new nodes are Ready
    expect(await otherImagesStep.needed(c)).toEqual({ needed: true, reason: `${registry}/postgres:17 is being pushed to ${registry} in the background (started with the cluster step): waiting for it` });
    expect(await otherImagesStep.run(c)).toBe(true);
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(`tag postgres:17 ${registry}/postgres:17\npush ${registry}/postgres:17\n`);
    expect(t.cluster.calls.filter((l) => /^docker (tag|push)/.test(l))).toEqual([]); // nothing left to push
    expect(console.log).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^${registry}/postgres:17: pushed in the background in [\\d.]+s$`)));

    // A push ahead that failed: said, and the step pushes (the registry does not have it).
    writeFileSync(join(dir, 'fail'), '');
    t.cluster.state.override = (line) => (line === 'docker image inspect postgres:17' ? { stdout: JSON.stringify([{ Id: 'sha256:p17', RepoTags: ['postgres:17'], RepoDigests: [] }]) } : undefined);
    c.pushOtherImagesAhead([{ ref: `${registry}/postgres:17`, source: 'postgres:17' }], () => undefined);
    c.releasePushesAhead(); // the cluster step's: the new nodes are Ready
    expect(await otherImagesStep.run(c)).toBe(true);
    expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/postgres:17: the push in the background failed \(exit 1; its output: dist\/deploy\/local\.push-postgres_17\.log\): pushing it again$/));
    expect(t.cluster.calls.filter((l) => /^docker push/.test(l))).toEqual([`docker push ${registry}/postgres:17`]);
  } finally {
    process.env.DOCKER = saved;
    if (saved === undefined) delete process.env.DOCKER;
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
