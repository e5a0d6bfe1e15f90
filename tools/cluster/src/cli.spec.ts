/*
 * The CLI end to end with recording fake binaries (MINIKUBE_BIN, KUBECTL_BIN): the exact commands the
 * minikube path runs, since minikube itself cannot start on our machines; and the context path.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKey } from './encryption';

const ws = join(__dirname, '..', '..', '..');
let dir: string;

function fake(name: string, extra = ''): string {
  const f = join(dir, name);
  writeFileSync(f, `#!/bin/sh\necho "${name} $*" >> ${join(dir, 'calls')}\n${extra}\nexit 0\n`);
  chmodSync(f, 0o755);
  return f;
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/cluster/src/cli.ts', ...args], {
    cwd: ws,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, CLUSTER_STATE_DIR: join(dir, 'state'), TOOLS_DIR: join(dir, 'tools'), ...env },
  });
  const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
  return { status: r.status, out: `${r.stdout}${r.stderr}`, calls };
}

beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cli: minikube', () => {
  it('up: syncs the encryption config, starts minikube sized for the app, installs Traefik', () => {
    const env = { MINIKUBE_BIN: fake('minikube'), KUBECTL_BIN: fake('kubectl', 'cat >/dev/null'), MINIKUBE_HOME: join(dir, 'mk') };
    const r = cli(['up', '--cluster=minikube'], env);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'minikube start --profile=todo --driver=docker --kubernetes-version=v1.34.0 --cpus=2 --memory=4096 --extra-config=apiserver.encryption-provider-config=/var/lib/minikube/certs/encryption/config.yaml --addons=storage-provisioner,default-storageclass --wait=all --ports=127.0.0.1:80:30080 --ports=127.0.0.1:443:30443',
      'kubectl --context todo apply -f -',
      'kubectl --context todo -n traefik rollout status deployment/traefik --timeout=180s',
    ]);
    const synced = join(dir, 'mk', 'files', 'var', 'lib', 'minikube', 'certs', 'encryption', 'config.yaml');
    expect(statSync(synced).mode & 0o777).toBe(0o600);
    expect(readKey(synced)).toBe(readKey(join(dir, 'state', 'todo', 'encryption', 'config.yaml')));
  });

  it('status and down', () => {
    const env = { MINIKUBE_BIN: fake('minikube') };
    expect(cli(['status', '--cluster=minikube'], env).status).toBe(0);
    expect(cli(['down', '--cluster=minikube'], env).calls).toEqual(['minikube status --profile=todo --output=json', 'minikube delete --profile=todo']);
  });
});

describe('cli: existing context', () => {
  it('checks the context answers, never deletes it', () => {
    const env = { KUBECTL_BIN: fake('kubectl') };
    const up = cli(['up', '--cluster=context:staging'], env);
    expect(up.status).toBe(0);
    expect(up.calls).toEqual(['kubectl --context staging get --raw /readyz']);
    const down = cli(['down', '--cluster=context:staging'], env);
    expect(down.status).toBe(1);
    expect(down.out).toContain('is an existing cluster that this tool did not create');
  });

  it('names an unreachable context and the fix', () => {
    const env = { KUBECTL_BIN: fake('kubectl', 'echo "error: context \\"nope\\" does not exist" >&2; exit 1') };
    const r = cli(['status', '--cluster=context:nope'], env);
    expect(r.status).toBe(1);
    expect(r.out).toContain('kube context "nope" is not reachable: error: context "nope" does not exist');
    expect(r.out).toContain('kubectl config get-contexts');
  });
});

describe('cli: kind preflight', () => {
  it('names a Docker daemon that does not answer (real docker client, unreachable socket), before any kind call', () => {
    const env = { KIND_BIN: fake('kind'), KUBECTL_BIN: fake('kubectl'), DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` };
    const r = cli(['up'], env);
    expect(r.status).toBe(1);
    expect(r.out).toContain('error in step "preflight: docker"');
    expect(r.out).toContain('cause: the Docker daemon is not reachable (');
    expect(r.out).toContain('fix:   start Docker');
    expect(r.calls).toEqual([]);
  });
});

describe('cli: kind missing', () => {
  it('names the tool, why it could not be installed, and the fix', () => {
    const r = cli(['up'], { PATH: join(dir, 'empty'), TOOLS_MIRROR: 'http://127.0.0.1:9' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('error in step "tools: kind"');
    expect(r.out).toContain('kind is not on PATH and could not be installed into .tools/bin (download failed: connect ECONNREFUSED 127.0.0.1:9');
    expect(r.out).toContain('run `nx run cluster:tools`');
  });
});

describe('cli: usage', () => {
  it('rejects unknown commands and environments with the fix', () => {
    expect(cli(['frobnicate'], {}).out).toContain('use one of: up, down, status, tools');
    expect(cli(['status', '--env=nope'], {}).out).toMatch(/no environment "nope" in environments.json \(known: .*local/);
  });
});
