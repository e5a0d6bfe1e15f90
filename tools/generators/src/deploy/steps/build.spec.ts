/* The "build <service>" step's check, on a recording cluster: one question to the Docker daemon per run. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stepSuite } from '../../__tests__/deploy-workspace';
import { buildStep } from './build';
import { loadStep } from './load';

const t = stepSuite();

const plan = {
  image: 'todo-backend', environment: 'local', key: 'b1', files: 1, tags: ['content-b1'], contentRef: 'todo-backend:content-b1',
  buildArgs: {}, keyArgs: {}, baseImages: {}, contextPaths: [],
};

it('a skipped build asks the Docker daemon about its content tag once, and the load step records it from that answer', async () => {
  const c = t.run('local');
  const image = c.images[0];
  image.record = undefined;
  image.plan = { ...plan };
  t.cluster.state.inspect = JSON.stringify([{ Id: 'sha256:bbbb000000001111', RepoTags: ['todo-backend:content-b1'], Size: 1000 }]);
  t.cluster.state.crictl = JSON.stringify({ images: [{ id: 'sha256:bbbb000000001111', repoTags: ['docker.io/library/todo-backend:content-b1'] }] });
  expect(await buildStep(image).needed(c)).toEqual({ needed: false, reason: 'todo-backend:content-b1 is in the Docker daemon (its inputs are unchanged)' });
  expect(await loadStep(image).needed(c)).toEqual({ needed: false, reason: 'the node already has todo-backend:content-b1 (bbbb00000000)' });
  expect(t.cluster.calls.filter((l) => l === 'docker image inspect todo-backend:content-b1')).toHaveLength(1);
  expect(JSON.parse(readFileSync(join(t.ws.dir, 'dist/images/backend-image.json'), 'utf8'))).toMatchObject({ ref: 'todo-backend:content-b1', id: 'sha256:bbbb000000001111', built: false });
});

it('a forced build (the dashboard\'s rebuild button) runs even when the daemon has the content tag, and says why', async () => {
  const c = t.run('local');
  const image = c.images[0];
  image.plan = { ...plan };
  t.cluster.state.inspect = JSON.stringify([{ Id: 'sha256:bbbb000000001111', RepoTags: ['todo-backend:content-b1'], Size: 1000 }]);
  expect(await buildStep(image, 'asked from the dashboard').needed(c)).toEqual({
    needed: true,
    reason: "asked from the dashboard: building todo-backend:content-b1 again (Docker's layer cache keeps unchanged layers)",
  });
  expect(await buildStep(image).needed(c)).toMatchObject({ needed: false });
});

it('an image the daemon lacks is built', async () => {
  const c = t.run('local');
  const image = c.images[1];
  image.plan = { ...plan, image: 'todo-frontend', contentRef: 'todo-frontend:content-f9' };
  expect(await buildStep(image).needed(c)).toEqual({ needed: true, reason: 'todo-frontend:content-f9 is not in the Docker daemon: building frontend-image' });
});

it('a daemon that does not answer stops the check with the fix', async () => {
  const c = t.run('local');
  const image = c.images[0];
  image.plan = { ...plan };
  t.cluster.state.override = (line) => (line.startsWith('docker image inspect') ? { status: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' } : undefined);
  await expect(Promise.resolve().then(() => buildStep(image).needed(c))).rejects.toThrow(/Docker is not usable \(docker: Cannot connect to the Docker daemon.*\)\n {2}fix: start the daemon/);
});
