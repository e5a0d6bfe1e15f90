/* --offline with every stand-in given by its variable: nothing is built, the variables win (the builds themselves run in apps/e2e's offline.cluster.ts). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipesKey, reusable, storeResolution } from './reuse';
import { firstRunEstimate, prepareOffline } from './standins';

describe('prepareOffline', () => {
  it('keeps every variable given, and writes the PostgreSQL stand-in values from the base images file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'offline-'));
    const images = join(root, 'images.json');
    writeFileSync(images, JSON.stringify({ postgres: { IMAGE: 'todo-base/postgres:15-bookworm-abc' } }));
    const env: NodeJS.ProcessEnv = { KIND_NODE_IMAGE: 'n:1', TRAEFIK_IMAGE: 't:1', METRICS_SERVER_IMAGE: 'm:1', KIND_BIN: '/k', HELM_BIN: '/h', KUBECTL_BIN: '/c', TODO_BASE_IMAGES: images, KIND_REGISTRY_IMAGE: 'r:1', TODO_CACHE_DIR: root };
    const lines: string[] = [];
    const r = await prepareOffline(root, (l) => lines.push(l), env);
    expect(r.set).toEqual({});
    expect(env.KIND_NODE_IMAGE).toBe('n:1');
    expect(lines).toContain('offline: KIND_NODE_IMAGE given: n:1');
    expect(env.KIND_LOAD_IMAGES).toBe('m:1'); // metrics-server is not in the node image: cluster-up loads it
    expect(lines[0]).toMatch(/first run on this machine: about 20-25 minutes/);
    expect(readFileSync(r.valuesFile, 'utf8')).toContain('repository: todo-base/postgres\n      tag: "15-bookworm-abc"');
  });

  it('announces the first run, with an estimate, when the cache has no Kubernetes build', () => {
    expect(firstRunEstimate({ TODO_CACHE_DIR: '/nonexistent' })).toMatch(/later runs take seconds/);
  });

  it('names the missing postgres entry and the fix', async () => {
    const root = mkdtempSync(join(tmpdir(), 'offline-'));
    const images = join(root, 'images.json');
    writeFileSync(images, '{}');
    const env: NodeJS.ProcessEnv = { KIND_NODE_IMAGE: 'n', TRAEFIK_IMAGE: 't', METRICS_SERVER_IMAGE: 'm', KIND_BIN: 'k', HELM_BIN: 'h', KUBECTL_BIN: 'c', TODO_BASE_IMAGES: images, KIND_REGISTRY_IMAGE: 'r' };
    await expect(prepareOffline(root, () => undefined, env)).rejects.toThrow(/names no postgres\.IMAGE/);
  });
});

describe('reuse of the last resolution', () => {
  it('is reused while the recipes are unchanged and what it names exists; a changed recipe or a missing tool sends it back to the scripts', () => {
    const root = mkdtempSync(join(tmpdir(), 'offline-reuse-'));
    mkdirSync(join(root, 'tools/offline-kind'), { recursive: true });
    writeFileSync(join(root, 'tools/offline-kind/versions.env'), 'K8S_VERSION=v1.34.4\n');
    const bin = join(root, 'tool');
    writeFileSync(bin, '');
    const images = join(root, 'images.json');
    writeFileSync(images, JSON.stringify({ postgres: { IMAGE: 'pg:1' } }));
    const values = { KIND_NODE_IMAGE: 'n:1', TRAEFIK_IMAGE: 't:1', METRICS_SERVER_IMAGE: 'm:1', KIND_BIN: bin, HELM_BIN: bin, KUBECTL_BIN: bin, TODO_BASE_IMAGES: images, KIND_REGISTRY_IMAGE: 'r:1', POSTGRES_IMAGE: 'pg:1' };
    const key = recipesKey(root, '/cache');
    storeResolution(root, key, values);
    expect(reusable(root, key, '/bin/true')).toEqual(values); // /bin/true: "docker image inspect" finds every image
    expect(reusable(root, key, '/bin/false')).toBeUndefined(); // an image is gone
    writeFileSync(join(root, 'tools/offline-kind/versions.env'), 'K8S_VERSION=v1.34.5\n');
    expect(recipesKey(root, '/cache')).not.toBe(key);
    rmSync(bin);
    expect(reusable(root, key, '/bin/true')).toBeUndefined();
  });
});

describe('reuse with stand-ins given by variables', () => {
  // A fake docker whose "image inspect" finds every image: what is tested is the key, not the daemon.
  const setup = () => {
    const root = mkdtempSync(join(tmpdir(), 'offline-given-'));
    const images = join(root, 'images.json');
    writeFileSync(images, JSON.stringify({ postgres: { IMAGE: 'pg:1' } }));
    const bin = join(root, 'tool');
    writeFileSync(bin, '');
    const stored = { KIND_NODE_IMAGE: 'n:1', TRAEFIK_IMAGE: 't:1', METRICS_SERVER_IMAGE: 'm:1', KIND_BIN: bin, HELM_BIN: bin, KUBECTL_BIN: bin, TODO_BASE_IMAGES: images, KIND_REGISTRY_IMAGE: 'r:1', POSTGRES_IMAGE: 'pg:1' };
    const given = { KIND_BIN: bin, TODO_BASE_IMAGES: images };
    const cache = join(root, 'cache');
    storeResolution(root, recipesKey(root, cache, given), stored);
    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...given, TODO_CACHE_DIR: cache, DOCKER: '/bin/true', ...extra });
    return { root, images, bin, env };
  };

  it('reuses the resolution made with the same variables: the scripts do not run, the rest is exported', async () => {
    const { root, env: mk } = setup();
    const env = mk();
    const lines: string[] = [];
    const r = await prepareOffline(root, (l) => lines.push(l), env);
    expect(lines.join('\n')).toMatch(/reusing the stand-ins resolved before \(recipes and given variables unchanged/);
    expect(lines.join('\n')).not.toMatch(/offline \[1\/8\]/); // no build script ran
    expect(r.set).toEqual({ KIND_NODE_IMAGE: 'n:1', TRAEFIK_IMAGE: 't:1', METRICS_SERVER_IMAGE: 'm:1', HELM_BIN: expect.any(String), KUBECTL_BIN: expect.any(String), KIND_REGISTRY_IMAGE: 'r:1' });
    expect(env.KIND_NODE_IMAGE).toBe('n:1');
  });

  it('does not reuse it with another value, one variable more, or a base images file rewritten in place', () => {
    const { root, images, bin, env } = setup();
    const key = (e: NodeJS.ProcessEnv) => recipesKey(root, e.TODO_CACHE_DIR!, Object.fromEntries(['KIND_BIN', 'TODO_BASE_IMAGES', 'HELM_BIN'].filter((k) => e[k]).map((k) => [k, e[k]!])));
    const same = key(env());
    expect(reusable(root, same, '/bin/true')).toBeDefined();
    expect(key(env({ KIND_BIN: `${bin}-other` }))).not.toBe(same);
    expect(key(env({ HELM_BIN: bin }))).not.toBe(same);
    expect(recipesKey(root, env().TODO_CACHE_DIR!)).not.toBe(same); // none given
    writeFileSync(images, JSON.stringify({ postgres: { IMAGE: 'pg:2' } }));
    expect(key(env())).not.toBe(same);
  });
});
