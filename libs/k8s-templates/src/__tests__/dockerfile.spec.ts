/*
 * The image templates: hadolint (the real one, pinned, from PyPI via scripts/py-tool.sh) finds nothing
 * in the rendered Dockerfiles, and the rules hadolint cannot know about hold: multi-stage with a
 * runtime stage that runs no command (so shell-less and Alpine/Debian bases both work), no package
 * manager outside a detection guard, numeric non-root user, HEALTHCHECK, exec-form entrypoint, OCI
 * labels, pinned base images as build arguments, cache mounts, dependencies before sources, and an
 * allow-list build context that keeps tests, caches and secrets out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BASE_IMAGES, TemplateInputError, renderImage } from '../index';
import type { ServiceSpec } from '../inputs';
import { backend, frontend, worker } from './fixtures';

const WORKSPACE = join(__dirname, '../../../..');
const admin: ServiceSpec = { name: 'admin', type: 'nextjs', port: 3100, ingressPath: '/admin', connectsTo: ['backend'] };
const SERVICES = [backend, frontend, worker, admin];

function hadolint(): string {
  if (process.env.HADOLINT) return process.env.HADOLINT;
  const r = spawnSync('bash', [join(WORKSPACE, 'scripts/py-tool.sh'), 'hadolint'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/py-tool.sh hadolint failed: ${r.stderr}`);
  return r.stdout.trim();
}

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions (continuations joined, comments dropped), grouped by stage. */
function stages(text: string): Array<{ from: string; name: string; instructions: Instruction[] }> {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Array<{ from: string; name: string; instructions: Instruction[] }> = [];
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      out.push({ from: m[1], name: m[2] ?? '', instructions: [] });
    } else if (out.length) {
      out[out.length - 1].instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return out;
}

describe.each(SERVICES)('Dockerfile of $name ($type)', (service) => {
  const files = renderImage({ service });
  const text = files.Dockerfile;
  const all = stages(text);
  const runtime = all[all.length - 1];
  const ops = (op: string) => runtime.instructions.filter((i) => i.op === op);

  it('passes hadolint with no finding at any level', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hadolint-'));
    writeFileSync(join(dir, 'Dockerfile'), text);
    const r = spawnSync(hadolint(), ['--no-color', '--failure-threshold', 'info', join(dir, 'Dockerfile')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('multi-stage: build stages FROM ${BUILDER_IMAGE}, a final runtime stage (and FastAPI\'s dev stage) FROM ${BASE_IMAGE} that runs no command', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(runtime).toMatchObject({ from: '${BASE_IMAGE}', name: 'runtime' });
    // FastAPI's dev stage is on the runtime base too: the dev loop loads it into the cluster on every
    // requirements change, and the builder base would double its size.
    const onBase = all.filter((s) => s.from === '${BASE_IMAGE}');
    expect(onBase.map((s) => s.name)).toEqual(service.type === 'fastapi' ? ['dev', 'runtime'] : ['runtime']);
    expect(all.filter((s) => !onBase.includes(s)).every((s) => s.from === '${BUILDER_IMAGE}' || all.some((o) => o.name === s.from))).toBe(true);
    // No RUN at all in a stage on the runtime base: a base without a shell (tools/base-images) works.
    expect(ops('RUN')).toEqual([]);
    for (const stage of onBase) expect(stage.instructions.filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('pins both bases as build arguments whose defaults are the official images, never latest', () => {
    const base = DEFAULT_BASE_IMAGES[service.type];
    expect(text).toMatch(new RegExp(`^ARG BASE_IMAGE=${base.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(text).toMatch(new RegExp(`^ARG BUILDER_IMAGE=${base.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(base).toMatch(/^(python|node):\d+\.\d+\.\d+-alpine\d+\.\d+$/);
    expect(text).not.toMatch(/:latest\b/);
  });

  it('uses no package manager, except binutils on an Alpine builder behind a detection guard', () => {
    expect(text).not.toMatch(/\bapt(-get)?\b|\byum\b|\bdnf\b|\bmicrodnf\b/);
    for (const m of text.matchAll(/[^\n]*\bapk add\b[^\n]*/g)) expect(m[0]).toMatch(/command -v apk/);
  });

  it('runs as a numeric non-root user with only explicit writable paths', () => {
    expect(ops('USER').map((i) => i.args)).toEqual(['10001:10001']);
    expect(ops('VOLUME')[0].args).toContain('"/tmp"');
    for (const copy of ops('COPY').filter((i) => i.args.includes('--chown'))) expect(copy.args).toMatch(/--chown=10001:10001 \/writable\//);
  });

  it('exposes the port, checks health and handles signals in an exec-form entrypoint', () => {
    expect(ops('EXPOSE').map((i) => i.args)).toEqual([String(service.port)]);
    expect(ops('HEALTHCHECK')[0].args).toMatch(/CMD \["(python|node)"/);
    expect(ops('STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
    expect(() => JSON.parse(ops('ENTRYPOINT')[0].args)).not.toThrow();
    expect(() => JSON.parse(ops('CMD')[0].args)).not.toThrow();
  });

  it('labels version, revision, created and source (OCI), from build arguments', () => {
    const labels = ops('LABEL').map((i) => i.args).join(' ');
    for (const key of ['version', 'revision', 'created', 'source', 'title', 'base.name'])
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    for (const arg of ['VERSION', 'REVISION', 'CREATED', 'SOURCE', 'BUILD_ENV']) expect(ops('ARG').map((i) => i.args.split('=')[0])).toContain(arg);
  });

  it('caches package downloads in BuildKit cache mounts and installs dependencies before copying sources', () => {
    const firstStage = all[0].instructions;
    const install = firstStage.findIndex((i) => i.op === 'RUN' && /--mount=type=cache,target=\/root\/\.(cache\/pip|npm)/.test(i.args));
    expect(install).toBeGreaterThan(0);
    // Only manifests/lockfiles are copied before the install; the sources come in a later stage.
    for (const copy of firstStage.slice(0, install).filter((i) => i.op === 'COPY'))
      expect(copy.args).toMatch(/(requirements\.txt|package(-lock)?\.json)/);
    expect(all.slice(1, -1).some((s) => s.instructions.some((i) => i.op === 'COPY' && i.args.includes(`apps/${service.name}/`)))).toBe(true);
  });

  it('takes no secret as ENV or ARG; a proxy CA comes in as a BuildKit secret mount', () => {
    const assignment = /\b[A-Z0-9_]*(SECRET|PASSWORD|TOKEN|API_KEY)[A-Z0-9_]*=/;
    for (const s of all) for (const i of s.instructions.filter((x) => x.op === 'ENV' || x.op === 'ARG')) expect(i.args).not.toMatch(assignment);
    expect(text).toContain('--mount=type=secret,id=ca_bundle');
  });

  it('reads an allow-list build context that keeps tests, caches and secrets out', () => {
    const lines = files['Dockerfile.dockerignore'].split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines).toEqual(expect.arrayContaining(['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/id_rsa*']));
    if (service.type === 'fastapi') {
      expect(lines).toEqual(expect.arrayContaining([`!apps/${service.name}/requirements.txt`, '**/tests', '**/__pycache__', '**/*.db']));
    } else {
      expect(lines).toEqual(expect.arrayContaining(['!package-lock.json', `apps/${service.name}/node_modules`, `apps/${service.name}/.next`, `apps/${service.name}/tests`]));
    }
  });
});

describe('image inputs', () => {
  it('builderImage defaults to baseImage; both are checked', () => {
    expect(renderImage({ service: backend, baseImage: 'mirror.example.com:5000/python:3.12.12-alpine3.22' }).Dockerfile).toMatch(
      /^ARG BUILDER_IMAGE=mirror\.example\.com:5000\/python:3\.12\.12-alpine3\.22$/m,
    );
    expect(() => renderImage({ service: backend, baseImage: 'python:latest' })).toThrow(TemplateInputError);
    expect(() => renderImage({ service: backend, builderImage: 'python' })).toThrow(/builderImage: "python" is not valid/);
    expect(renderImage({ service: frontend, builderImage: 'todo-base/node-builder:20.20.2-bookworm-abc' }).Dockerfile).toMatch(
      /^ARG BUILDER_IMAGE=todo-base\/node-builder:20\.20\.2-bookworm-abc$/m,
    );
  });
});
