/**
 * The GitHub Actions workflows: YAML that parses, every action pinned to an exact version or a full
 * commit SHA, and every Nx target a `run:` step names exists in the workspace.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WORKSPACE } from './copy';

const DIR = join(WORKSPACE, '.github/workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  uses?: string;
  run?: string;
}
interface Workflow {
  on: unknown;
  jobs: Record<string, { steps?: Step[] }>;
}

const load = (f: string) => parse(readFileSync(join(DIR, f), 'utf8')) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);

/** `owner/repo@v1.2.3` or `owner/repo@<40 hex>`; local actions (`./…`) and `docker://…@sha256:` too. */
export function isPinned(uses: string): boolean {
  if (uses.startsWith('./')) return true;
  if (uses.startsWith('docker://')) return /@sha256:[0-9a-f]{64}$/.test(uses);
  const at = uses.lastIndexOf('@');
  if (at < 0) return false;
  const ref = uses.slice(at + 1);
  return /^[0-9a-f]{40}$/.test(ref) || /^v?\d+\.\d+\.\d+$/.test(ref);
}

export interface NxCommand {
  command: string;
  targets: string[];
  projects: string[];
}

/** The Nx commands in a shell script: `nx affected|run-many -t a b c [-p x,y]` and `nx run p:t`. */
export function nxCommands(script: string): NxCommand[] {
  const found: NxCommand[] = [];
  const lines = script.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    for (const m of line.matchAll(/\bnx\s+(affected|run-many)\b([^;&|]*)/g)) {
      const words = m[2].trim().split(/\s+/);
      const targets: string[] = [];
      const projects: string[] = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i];
        const eq = w.match(/^--?(t|targets?|p|projects)=(.+)$/);
        if (eq) (eq[1].startsWith('t') ? targets : projects).push(...eq[2].replace(/['"]/g, '').split(','));
        else if (/^(-t|--targets?)$/.test(w)) {
          for (i++; i < words.length && !words[i].startsWith('-'); i++) targets.push(...words[i].split(','));
          i--;
        } else if (/^(-p|--projects)$/.test(w)) projects.push(...words[++i].replace(/['"]/g, '').split(','));
      }
      found.push({ command: `nx ${m[1]}${m[2]}`.trim(), targets: targets.filter(Boolean), projects });
    }
    for (const m of line.matchAll(/\bnx\s+run\s+([\w@/.-]+):([\w-]+)/g)) found.push({ command: m[0], targets: [m[2]], projects: [m[1]] });
  }
  return found;
}

/** Targets of every project, from `nx show project <p> --json`. */
function targetsByProject(): Map<string, string[]> {
  const env = { ...process.env, NX_DAEMON: 'false' };
  const nx = join(WORKSPACE, 'node_modules/.bin/nx');
  const names = execFileSync(nx, ['show', 'projects', '--json'], { cwd: WORKSPACE, env, encoding: 'utf8' });
  const map = new Map<string, string[]>();
  for (const p of JSON.parse(names) as string[]) {
    const json = JSON.parse(execFileSync(nx, ['show', 'project', p, '--json'], { cwd: WORKSPACE, env, encoding: 'utf8', maxBuffer: 64 << 20 }));
    map.set(p, Object.keys(json.targets ?? {}));
  }
  return map;
}

describe('workflow files', () => {
  it('ci.yml and release.yml exist', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'release.yml']));
  });

  it.each(files)('%s parses, has triggers and jobs with steps', (f) => {
    const w = load(f);
    expect(w.on).toBeTruthy();
    expect(Object.keys(w.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(w.jobs)) expect(job.steps?.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every `uses:` is pinned to an exact version or a commit SHA', (f) => {
    const uses = steps(load(f)).flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter((u) => !isPinned(u))).toEqual([]);
  });

  it('the pin check itself', () => {
    expect(isPinned('actions/checkout@v4.2.2')).toBe(true);
    expect(isPinned('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683')).toBe(true);
    expect(isPinned('actions/checkout@v4')).toBe(false);
    expect(isPinned('actions/checkout@main')).toBe(false);
    expect(isPinned('actions/checkout')).toBe(false);
  });

  it('the command parser', () => {
    expect(nxCommands('npx nx affected -t lint test build --base="$NX_BASE"')).toEqual([
      { command: 'nx affected -t lint test build --base="$NX_BASE"', targets: ['lint', 'test', 'build'], projects: [] },
    ]);
    expect(nxCommands("x && npx nx run-many -t scan -p 'tag:type:image' --parallel=1")[0]).toMatchObject({ targets: ['scan'], projects: ['tag:type:image'] });
    expect(nxCommands('npx nx run todo:lint')[0]).toMatchObject({ targets: ['lint'], projects: ['todo'] });
  });

  describe('every Nx target the workflows run exists', () => {
    const commands = files.flatMap((f) => steps(load(f)).flatMap((s) => (s.run ? nxCommands(s.run).map((c) => ({ file: f, ...c })) : [])));
    let targets: Map<string, string[]>;
    beforeAll(() => {
      targets = targetsByProject();
    }, 180_000);

    it('the workflows run nx affected for lint, test, build and docker-build, and the chart checks', () => {
      const ci = commands.filter((c) => c.file === 'ci.yml');
      const affected = ci.filter((c) => c.command.startsWith('nx affected')).flatMap((c) => c.targets);
      expect(affected).toEqual(expect.arrayContaining(['lint', 'test', 'build', 'docker-build']));
      expect(ci.some((c) => c.projects.includes('todo') && c.targets.includes('lint') && c.targets.includes('test'))).toBe(true);
      const release = commands.filter((c) => c.file === 'release.yml').flatMap((c) => c.targets);
      expect(release).toEqual(expect.arrayContaining(['docker-build', 'scan']));
    });

    it.each(commands.map((c) => [c.file, c.command, c] as const))('%s: %s', (_f, _cmd, c) => {
      expect(c.targets.length).toBeGreaterThan(0);
      for (const t of c.targets) {
        const withTarget = [...targets].filter(([, ts]) => ts.includes(t)).map(([p]) => p);
        expect(withTarget.length).toBeGreaterThan(0);
        // Named projects (not patterns such as tag:type:image) must have every target.
        for (const p of c.projects.filter((x) => /^[\w-]+$/.test(x))) expect({ project: p, target: t, has: (targets.get(p) ?? []).includes(t) }).toEqual({ project: p, target: t, has: true });
        // Patterns: at least one matching project has the target.
        for (const tag of c.projects.filter((x) => x.startsWith('tag:'))) {
          const tagged = tag.slice(4);
          const env = { ...process.env, NX_DAEMON: 'false' };
          const matching = JSON.parse(execFileSync(join(WORKSPACE, 'node_modules/.bin/nx'), ['show', 'projects', '--json', '-p', `tag:${tagged}`], { cwd: WORKSPACE, env, encoding: 'utf8' })) as string[];
          expect(matching.filter((p) => (targets.get(p) ?? []).includes(t)).length).toBeGreaterThan(0);
        }
      }
    });
  });
});
