/* The installer against a loopback mirror (node:http on 127.0.0.1) serving fake binaries made here. Never downloads. */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from './errors';
import { downloadPlan, installTool, parseChecksum, pinnedTool, resolveTool, sha256 } from './tools';
import { ToolSpec, versions } from './versions';

const platform = { os: 'linux', arch: 'amd64' } as const;
let server: Server;
let mirror = '';
let files: Record<string, Buffer> = {};
let requests: string[] = [];
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  files = {};
  requests = [];
  work = mkdtempSync(join(tmpdir(), 'cluster-tools-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const env = () => ({ TOOLS_MIRROR: mirror, TOOLS_DIR: join(work, '.tools'), PATH: '' });
const quiet = () => undefined;
const fakeBinary = (name: string) => Buffer.from(`#!/bin/sh\necho ${name} fake\n`);

function serveKind(body: Buffer, checksum: string) {
  const v = versions.tools.kind.version;
  files[`/kind/${v}/kind-linux-amd64`] = body;
  files[`/kind/${v}/kind-linux-amd64.sha256sum`] = Buffer.from(`${checksum}  kind-linux-amd64\n`);
}

describe('download plan', () => {
  it('uses the official URL patterns, or TOOLS_MIRROR/<tool>/<same path>', () => {
    const v = versions.tools;
    expect(downloadPlan('kind', platform, {}).url).toBe(`https://github.com/kubernetes-sigs/kind/releases/download/${v.kind.version}/kind-linux-amd64`);
    expect(downloadPlan('kubectl', platform, {}).checksumUrl).toBe(`https://dl.k8s.io/release/${v.kubectl.version}/bin/linux/amd64/kubectl.sha256`);
    expect(downloadPlan('helm', { os: 'darwin', arch: 'arm64' }, {})).toMatchObject({
      url: `https://get.helm.sh/helm-${v.helm.version}-darwin-arm64.tar.gz`,
      checksumUrl: `https://get.helm.sh/helm-${v.helm.version}-darwin-arm64.tar.gz.sha256sum`,
      archive: 'darwin-arm64/helm',
    });
    expect(downloadPlan('minikube', platform, {}).url).toBe(`https://storage.googleapis.com/minikube/releases/${v.minikube.version}/minikube-linux-amd64`);
    expect(downloadPlan('kind', platform, { TOOLS_MIRROR: 'http://m.example/x/' }).url).toBe(`http://m.example/x/kind/${v.kind.version}/kind-linux-amd64`);
  });

  it('parses both checksum file formats', () => {
    const h = 'a'.repeat(64);
    expect(parseChecksum(h)).toBe(h);
    expect(parseChecksum(`${h.toUpperCase()}  kind-linux-amd64\n`)).toBe(h);
    expect(parseChecksum('garbage')).toBeNull();
  });
});

describe('installTool against a local mirror', () => {
  it('installs a binary whose checksum matches, executable, with a .gitignore; then is a no-op', async () => {
    const body = fakeBinary('kind');
    serveKind(body, sha256(body));
    const r = await installTool('kind', { env: env(), platform, log: quiet });
    expect(r.installed).toBe(true);
    expect(r.path).toBe(join(work, '.tools', 'bin', 'kind'));
    expect(execFileSync(r.path, { encoding: 'utf8' })).toBe('kind fake\n');
    expect(readFileSync(join(work, '.tools', '.gitignore'), 'utf8')).toContain('*');
    requests = [];
    const again = await installTool('kind', { env: env(), platform, log: quiet });
    expect(again.installed).toBe(false);
    expect(requests).toEqual([]);
  });

  it('refuses a wrong checksum with a clear message and leaves nothing behind', async () => {
    serveKind(fakeBinary('kind'), 'b'.repeat(64));
    const err = await installTool('kind', { env: env(), platform, log: quiet }).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toContain('checksum mismatch');
    expect(err.message).toContain('nothing was installed');
    expect(err.fix).toContain('re-sync the mirror');
    const bin = join(work, '.tools', 'bin');
    expect(existsSync(join(bin, 'kind'))).toBe(false);
    expect(existsSync(bin) ? readdirSync(bin) : []).toEqual([]);
  });

  it('also requires the pin in versions.json when there is one', async () => {
    const body = fakeBinary('kind');
    serveKind(body, sha256(body));
    const spec: ToolSpec = { ...versions.tools.kind, sha256: { 'linux-amd64': 'c'.repeat(64) } };
    const err = await installTool('kind', { env: env(), platform, spec, log: quiet }).catch((e) => e);
    expect(err.message).toContain(`differs from the pin ${'c'.repeat(64)}`);
    expect(existsSync(join(work, '.tools', 'bin', 'kind'))).toBe(false);
    const ok = await installTool('kind', { env: env(), platform, spec: { ...spec, sha256: { 'linux-amd64': sha256(body) } }, log: quiet });
    expect(ok.installed).toBe(true);
  });

  it('says which URL gave 404', async () => {
    const err = await installTool('minikube', { env: env(), platform, log: quiet }).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.cause).toMatch(/download failed: HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/minikube\/v[\d.]+\/minikube-linux-amd64/);
    expect(err.fix).toContain('TOOLS_MIRROR');
    expect(err.fix).toContain('npx nx run todo:deploy-local --offline');
  });

  it('says when the checksum file is missing', async () => {
    const v = versions.tools.kind.version;
    files[`/kind/${v}/kind-linux-amd64`] = fakeBinary('kind');
    const err = await installTool('kind', { env: env(), platform, log: quiet }).catch((e) => e);
    expect(err.cause).toContain('checksum file download failed: HTTP 404');
    expect(err.fix).toContain('npx nx run todo:deploy-local --offline');
  });

  it('unpacks helm from its tarball', async () => {
    const v = versions.tools.helm.version;
    const src = join(work, 'src');
    mkdirSync(join(src, 'linux-amd64'), { recursive: true });
    writeFileSync(join(src, 'linux-amd64', 'helm'), fakeBinary('helm'));
    writeFileSync(join(src, 'linux-amd64', 'LICENSE'), 'x');
    const tgz = join(work, 'helm.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', src, 'linux-amd64']);
    const body = readFileSync(tgz);
    files[`/helm/helm-${v}-linux-amd64.tar.gz`] = body;
    files[`/helm/helm-${v}-linux-amd64.tar.gz.sha256sum`] = Buffer.from(`${sha256(body)}  helm-${v}-linux-amd64.tar.gz\n`);
    const r = await installTool('helm', { env: env(), platform, log: quiet });
    expect(execFileSync(r.path, { encoding: 'utf8' })).toBe('helm fake\n');
    expect(readdirSync(join(work, '.tools', 'bin'))).toEqual(['helm']);
  });

  it('reinstalls when the pinned version changes', async () => {
    const body = fakeBinary('kind');
    serveKind(body, sha256(body));
    await installTool('kind', { env: env(), platform, log: quiet });
    const spec = { ...versions.tools.kind, version: 'v9.9.9' };
    files['/kind/v9.9.9/kind-linux-amd64'] = body;
    files['/kind/v9.9.9/kind-linux-amd64.sha256sum'] = Buffer.from(sha256(body));
    expect((await installTool('kind', { env: env(), platform, spec, log: quiet })).installed).toBe(true);
  });
});

describe('resolveTool', () => {
  it('prefers <TOOL>_BIN, then PATH, then .tools/bin', async () => {
    const pathDir = join(work, 'path');
    mkdirSync(pathDir);
    writeFileSync(join(pathDir, 'kubectl'), fakeBinary('kubectl'));
    chmodSync(join(pathDir, 'kubectl'), 0o755);
    expect(await resolveTool('kubectl', { env: { ...env(), PATH: pathDir } })).toBe(join(pathDir, 'kubectl'));
    expect(await resolveTool('kubectl', { env: { ...env(), PATH: pathDir, KUBECTL_BIN: '/bin/sh' } })).toBe('/bin/sh');
    await expect(resolveTool('kubectl', { env: { ...env(), KUBECTL_BIN: '/nope/kubectl' } })).rejects.toThrow('KUBECTL_BIN=/nope/kubectl does not exist');
  });

  it('installs a missing tool automatically, and names the fix when it cannot', async () => {
    const body = fakeBinary('kind');
    serveKind(body, sha256(body));
    expect(await resolveTool('kind', { env: env() })).toBe(join(work, '.tools', 'bin', 'kind'));
    const err = await resolveTool('minikube', { env: env() }).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.step).toBe('tools: minikube');
    expect(err.cause).toContain('minikube is not on PATH and could not be installed');
    expect(err.fix).toContain('nx run cluster:tools');
    // the one thing that works on a machine with package registries only
    expect(err.fix).toContain('npx nx run todo:deploy-local --offline');
    const off = await resolveTool('helm', { env: env(), autoInstall: false }).catch((e) => e);
    expect(off.cause).toContain('automatic install disabled');
  });
});

describe('pinnedTool (scripts/go-tool.sh, scripts/py-tool.sh)', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const workspace = (script?: string) => {
    const root = mkdtempSync(join(tmpdir(), 'pinned-tool-'));
    roots.push(root);
    if (script !== undefined) {
      mkdirSync(join(root, 'scripts'));
      writeFileSync(join(root, 'scripts', 'py-tool.sh'), script);
    }
    return root;
  };

  it("returns the script's last line: the tool's path after what the install printed", () => {
    const root = workspace('echo "installing $1" >&2\necho "Collecting $1"\necho "/cache/py-tools/$1-1.0/bin/$1"\n');
    expect(pinnedTool(root, 'py-tool.sh', 'hadolint', 'set HADOLINT')).toBe('/cache/py-tools/hadolint-1.0/bin/hadolint');
  });

  it('names the failing script, its last error line and the fix', () => {
    const root = workspace('echo "pip: no matching distribution for $1" >&2\nexit 3\n');
    expect(() => pinnedTool(root, 'py-tool.sh', 'locust', 'set PIP_INDEX_URL')).toThrow(ClusterError);
    expect(() => pinnedTool(root, 'py-tool.sh', 'locust', 'set PIP_INDEX_URL')).toThrow(/scripts\/py-tool\.sh locust failed: pip: no matching distribution for locust/);
  });

  it('refuses a missing script with how to restore it', () => {
    expect(() => pinnedTool(workspace(), 'go-tool.sh', 'helm3', 'set HELM')).toThrow(/go-tool\.sh is missing/);
  });
});
