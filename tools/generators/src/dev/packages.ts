/**
 * A changed requirements.txt (or, for a Next.js service, package.json or its lockfile: npm-packages.ts) installed into a FastAPI service's running dev pods, so that a new package
 * is importable within seconds while the loop rebuilds the dev image behind it (the rebuild's rollout
 * then replaces these pods with image-built ones, and the folder starts empty again).
 *
 * The dev image is the runtime base: python, no pip, no shell. And a pod on a kind node may reach no
 * package index at all (no route, a TLS-intercepting proxy's CA it lacks). So pip runs here, on this
 * machine, with the machine's own configuration (pip.conf, PIP_INDEX_URL and the other PIP_* variables,
 * its CA bundle; TODO_DEV_PIP_INDEX_URL overrides the index for this alone), for the pods' interpreter: its
 * Python version, libc and machine, asked from a running pod, with wheels only (as the image's
 * `pip install --only-binary=:all:`). The result is streamed into each pod's packages folder (an emptyDir
 * on PYTHONPATH, before the image's packages: sync-rules.ts PackagesRule) through `kubectl exec`, like a
 * sync, and the pods get the sync marker (release/sync-marker.ts), so a later deploy replaces them.
 *
 * Only what the pods lack is installed: the requirement lines whose package is missing in the pod, or
 * pinned (==) to another version than the pod has; the file's pins constrain their dependencies. Anything
 * this cannot do (no pip here, no wheel, an index that does not answer within the time limit, options
 * such as -r or -e in the file) leaves the rebuild to do it alone, and the loop says so.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { lastLine } from '@todo/cluster';
import type { Children } from './children';
import { KubeScope, kube, listPods } from './kube';
import { syncIntoPods } from './sync';
import type { PackagesRule, SyncRule } from './sync-rules';
import { NODE_PROBE, PodNode, lockedVersions, npmChildEnv, npmError, npmInstallArgs, parseManifest, topLevelPackages, wantedSpecs } from './npm-packages';

/** What a pod's interpreter is and has: the target of the install. */
export interface PodPython {
  /** "3.13" */
  python: string;
  /** "x86_64", "aarch64" */
  machine: string;
  /** ["glibc", "2.41"]; ["", ""] on musl. */
  libc: [string, string];
  /** Normalised distribution name -> version, the first on sys.path winning (as import does). */
  dists: Record<string, string>;
}

/** Prints the pod's PodPython as JSON (the dev image has python only). */
export const PROBE = `import importlib.metadata as m, json, platform, re, sys
dists = {}
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        dists.setdefault(re.sub(r"[-_.]+", "-", name).lower(), d.version)
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], "machine": platform.machine(), "libc": list(platform.libc_ver()), "dists": dists}))`;

export interface Requirement {
  /** The line as written (comment removed). */
  line: string;
  /** PEP 503 normalised name. */
  name: string;
  /** The version of an exact pin (==), else undefined. */
  pinned?: string;
}

export const normalise = (name: string) => name.replace(/[-_.]+/g, '-').toLowerCase();

/** The requirement lines of a requirements file; throws naming the first line this install cannot take (options, URLs). */
export function parseRequirements(text: string): Requirement[] {
  const out: Requirement[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^@]*)$/.exec(line);
    if (!m || line.startsWith('-')) throw new Error(`"${line}" is not a plain requirement (options, paths and URLs are left to the rebuild)`);
    const pin = /^==\s*([^\s,;*]+)\s*(;.*)?$/.exec(m[3]);
    out.push({ line, name: normalise(m[1]), pinned: pin?.[1] });
  }
  return out;
}

/** The requirements the pod lacks: not installed, or pinned to another version. */
export const missingIn = (pod: Pick<PodPython, 'dists'>, requirements: Requirement[]) =>
  requirements.filter((r) => pod.dists[r.name] === undefined || (r.pinned !== undefined && pod.dists[r.name] !== r.pinned));

/** pip's --python-version/--implementation/--abi/--platform for the pod's interpreter (wheels only). */
export function targetArgs(pod: Omit<PodPython, 'dists'>): string[] {
  const [major, minor] = pod.python.split('.');
  const platforms =
    pod.libc[0] === 'glibc'
      ? ['manylinux2014', ...Array.from({ length: Math.max(0, Number(pod.libc[1].split('.')[1] ?? 17) - 16) }, (_, i) => `manylinux_2_${17 + i}`)]
      : ['musllinux_1_2', 'musllinux_1_1'];
  return [
    '--only-binary=:all:',
    '--python-version', pod.python,
    '--implementation', 'cp',
    '--abi', `cp${major}${minor}`, '--abi', 'abi3', '--abi', 'none',
    ...platforms.flatMap((p) => ['--platform', `${p}_${pod.machine}`]),
  ];
}

/**
 * Moves what pip installed into `staging` over `dir`, first removing from `dir` every distribution that
 * `staging` has (another version's files, by its RECORD): pip's own --target --upgrade leaves the old
 * version's .dist-info beside the new one.
 */
export function mergeInstalled(staging: string, dir: string): void {
  const distName = (entry: string) => normalise(entry.replace(/-[^-]+\.dist-info$/, ''));
  const incoming = new Set(readdirSync(staging).filter((e) => e.endsWith('.dist-info')).map(distName));
  for (const entry of readdirSync(dir).filter((e) => e.endsWith('.dist-info') && incoming.has(distName(e)))) {
    const record = join(dir, entry, 'RECORD');
    if (existsSync(record)) for (const line of readFileSync(record, 'utf8').split('\n')) {
      const file = line.split(',')[0];
      if (file && !file.startsWith('..') && !file.startsWith('/')) rmSync(join(dir, file), { force: true });
    }
    rmSync(join(dir, entry), { recursive: true, force: true });
  }
  cpSync(staging, dir, { recursive: true });
}

/**
 * npm's counterpart of mergeInstalled: each package folder of `staging` (a node_modules) replaces the one
 * of the same name in `dir` (another version's files gone); returns the package names `dir` holds.
 */
export function mergeNodeModules(staging: string, dir: string): string[] {
  for (const name of topLevelPackages(readdirSync, staging)) {
    rmSync(join(dir, name), { recursive: true, force: true });
    cpSync(join(staging, name), join(dir, name), { recursive: true, verbatimSymlinks: true });
  }
  return topLevelPackages(readdirSync, dir);
}

export type InstallOutcome =
  | {
      kind: 'installed';
      pods: string[];
      /** What was installed, as the file says it: "six==1.17.0", "left-pad@1.3.0". */
      requirements: string[];
      /** "pip on this machine, for the pods' Python 3.13 glibc x86_64". */
      target: string;
      /** Seconds of each phase: "ask 0.6s, pip 2.1s, copy 0.9s". */
      phases: string;
    }
  | { kind: 'nothing'; reason: string }
  | { kind: 'fallback'; reason: string };

export interface InstallerOptions {
  /** The interpreter whose pip installs (default: $TODO_DEV_PYTHON or python3). */
  python?: string;
  /** The npm that installs (default: $TODO_DEV_NPM or npm). */
  npm?: string;
  /** The whole install's bound; past it the rebuild alone brings the change (default: $TODO_DEV_PIP_TIMEOUT or $TODO_DEV_NPM_TIMEOUT seconds, or 60 s). */
  timeoutMs?: number;
}

/** What one tool staged here for the pods: `folder` holds it, as the pods' packages folder will. */
interface Staged {
  folder: string;
  requirements: string[];
  target: string;
}

/** The running pod an install asks, and a phase clock. */
interface InstallContext {
  service: string;
  rule: SyncRule;
  packages: PackagesRule;
  pod: string;
  workspaceRoot: string;
  staging: string;
  deadline: AbortSignal;
  timeoutMs: number;
  /** Seconds since the last phase ended ("0.6s"). */
  phase: () => string;
  phases: string[];
}

export class PackageInstaller {
  /** Per service: the folder here that holds what its pods' packages folder holds (everything installed since its image). */
  private readonly dirs = new Map<string, string>();
  private readonly python: string;
  private readonly npm: string;

  constructor(private readonly children: Children, private readonly k: KubeScope, private readonly options: InstallerOptions = {}) {
    this.python = options.python ?? process.env.TODO_DEV_PYTHON ?? 'python3';
    this.npm = options.npm ?? process.env.TODO_DEV_NPM ?? 'npm';
  }

  private timeoutMs(tool: PackagesRule['tool']): number {
    return this.options.timeoutMs ?? (Number(process.env[tool === 'pip' ? 'TODO_DEV_PIP_TIMEOUT' : 'TODO_DEV_NPM_TIMEOUT']) || 60) * 1000;
  }

  /** Installs what the running pods of `service` lack from its dependency file. Never throws. */
  async install(service: string, rule: SyncRule, workspaceRoot: string): Promise<InstallOutcome> {
    const packages = rule.packages;
    if (!packages) return { kind: 'fallback', reason: `${service} has no packages folder in its dev pods` };
    const timeoutMs = this.timeoutMs(packages.tool);
    const deadline = AbortSignal.timeout(timeoutMs);
    let staging: string | undefined;
    let t = Date.now();
    const phase = () => {
      const seconds = ((Date.now() - t) / 1000).toFixed(1);
      t = Date.now();
      return `${seconds}s`;
    };
    try {
      const pod = (await listPods(this.children, this.k, service)).find((p) => !p.deleting && p.phase === 'Running');
      if (!pod) return { kind: 'fallback', reason: 'no running pod' };
      staging = mkdtempSync(join(tmpdir(), `todo-dev-${packages.tool}-${service}-`));
      const c: InstallContext = { service, rule, packages, pod: pod.name, workspaceRoot, staging, deadline, timeoutMs, phase, phases: [] };
      const staged = packages.tool === 'npm' ? await this.stageNpm(c) : await this.stagePip(c);
      if ('kind' in staged) return staged;
      const dir = this.dirs.get(service) ?? mkdtempSync(join(tmpdir(), `todo-dev-packages-${service}-`));
      this.dirs.set(service, dir);
      if (packages.tool === 'npm') mergeNodeModules(staged.folder, dir);
      else mergeInstalled(staged.folder, dir);
      const pods = await this.copyInto(service, rule, packages, dir);
      return { kind: 'installed', pods, requirements: staged.requirements, target: staged.target, phases: [...c.phases, `copy ${phase()}`].join(', ') };
    } catch (e) {
      return { kind: 'fallback', reason: deadline.aborted ? `not done within ${timeoutMs / 1000}s` : (e as Error).message };
    } finally {
      if (staging) rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Runs a package tool here, bounded by the install's deadline: undefined when it did not finish in time. */
  private async tool(c: InstallContext, bin: string, args: string[], env?: NodeJS.ProcessEnv) {
    // Signalled at the deadline; not waited for past it (a grandchild may hold its output open).
    const timedOut = new Promise<undefined>((r) => c.deadline.addEventListener('abort', () => r(undefined), { once: true }));
    const result = await Promise.race([timedOut, this.children.run(bin, args, { signal: c.deadline, cwd: c.staging, env })]);
    return result && !c.deadline.aborted ? result : undefined;
  }

  /** pip, for the pod's interpreter, of the requirement lines the pod lacks. */
  private async stagePip(c: InstallContext): Promise<Staged | Exclude<InstallOutcome, { kind: 'installed' }>> {
    const requirements = parseRequirements(readFileSync(join(c.workspaceRoot, c.packages.manifest), 'utf8'));
    const probe = await kube(this.children, this.k, ['exec', c.pod, '-c', c.rule.container, '--', 'python3', '-c', PROBE]);
    if (probe.status !== 0) return { kind: 'fallback', reason: `asking ${c.pod} for its Python failed: ${lastLine(probe.stderr) || `exit ${probe.status}`}` };
    const python = JSON.parse(probe.stdout) as PodPython;
    c.phases.push(`ask ${c.phase()}`);
    const wanted = missingIn(python, requirements);
    if (wanted.length === 0) return { kind: 'nothing', reason: 'the pods already have every requirement' };
    // The file's exact pins constrain what the wanted lines pull in (extras and markers are not allowed in a constraints file).
    const constraints = join(c.staging, 'constraints.txt');
    writeFileSync(constraints, requirements.filter((r) => r.pinned && !/[[;]/.test(r.line)).map((r) => `${r.name}==${r.pinned}`).join('\n') + '\n');
    const index = process.env.TODO_DEV_PIP_INDEX_URL ? ['--index-url', process.env.TODO_DEV_PIP_INDEX_URL] : [];
    const site = join(c.staging, 'site');
    const pip = await this.tool(c, this.python, ['-m', 'pip', 'install', '--quiet', '--no-input', '--disable-pip-version-check', '--no-color', '--root-user-action=ignore', '--no-compile', '--target', site, '--timeout', '10', '--retries', '1', ...index, ...targetArgs(python), '-c', constraints, ...wanted.map((r) => r.line)]);
    if (!pip) return { kind: 'fallback', reason: `pip on this machine did not finish within ${c.timeoutMs / 1000}s (is the package index reachable? TODO_DEV_PIP_TIMEOUT changes the limit)` };
    if (pip.status !== 0) {
      // Its own error line (colours off: FORCE_COLOR, which Nx sets, turns them on even without --color).
      const said = stripVTControlCharacters(pip.stderr);
      return { kind: 'fallback', reason: `pip on this machine failed: ${said.split('\n').find((l) => l.startsWith('ERROR: ')) ?? (lastLine(said) || `exit ${pip.status}`)}` };
    }
    c.phases.push(`pip ${c.phase()}`);
    // Console scripts name this machine's interpreter: of no use in the pod (the image drops them too).
    rmSync(join(site, 'bin'), { recursive: true, force: true });
    return { folder: site, requirements: wanted.map((r) => r.line), target: `pip on this machine, for the pods' Python ${python.python} ${python.libc[0] || 'musl'} ${python.machine}` };
  }

  /** npm, for the pod's platform, of the dependencies whose version the pod does not have (npm-packages.ts). */
  private async stageNpm(c: InstallContext): Promise<Staged | Exclude<InstallOutcome, { kind: 'installed' }>> {
    const deps = parseManifest(readFileSync(join(c.workspaceRoot, c.packages.manifest), 'utf8'), c.packages.manifest);
    const lockfile = c.packages.lockfile && join(c.workspaceRoot, c.packages.lockfile);
    const locked = lockedVersions(lockfile && existsSync(lockfile) ? readFileSync(lockfile, 'utf8') : undefined, c.rule.from.replace(/\/$/, ''));
    const probe = await kube(this.children, this.k, ['exec', c.pod, '-c', c.rule.container, '--', 'node', '-e', NODE_PROBE, '--', c.rule.to, ...deps.map((d) => d.name)]);
    if (probe.status !== 0) return { kind: 'fallback', reason: `asking ${c.pod} for its Node failed: ${lastLine(probe.stderr) || `exit ${probe.status}`}` };
    const node = JSON.parse(probe.stdout) as PodNode;
    c.phases.push(`ask ${c.phase()}`);
    const wanted = wantedSpecs(deps, locked, node);
    if (wanted.length === 0) return { kind: 'nothing', reason: 'the pods already have every dependency at its version' };
    writeFileSync(join(c.staging, 'package.json'), '{ "private": true }\n');
    const npm = await this.tool(c, this.npm, npmInstallArgs(c.staging, node, wanted), npmChildEnv(process.env));
    if (!npm) return { kind: 'fallback', reason: `npm on this machine did not finish within ${c.timeoutMs / 1000}s (is the registry reachable? TODO_DEV_NPM_TIMEOUT changes the limit)` };
    if (npm.status !== 0) {
      const said = stripVTControlCharacters(npm.stderr);
      return { kind: 'fallback', reason: `npm on this machine failed: ${npmError(said) ?? (lastLine(said) || `exit ${npm.status}`)}` };
    }
    c.phases.push(`npm ${c.phase()}`);
    const folder = join(c.staging, 'node_modules');
    // Links to this machine's paths and npm's own record: of no use in the pod.
    for (const entry of ['.bin', '.package-lock.json']) rmSync(join(folder, entry), { recursive: true, force: true });
    return { folder, requirements: wanted, target: `npm on this machine, for the pods' Node ${node.node} ${node.platform} ${node.arch} ${node.libc}` };
  }

  /** Whether the service's pods hold packages that its image does not. */
  has(service: string): boolean {
    return this.dirs.has(service);
  }

  /** `pods` (started since: a restart, another rollout) get what was installed: returns them. Throws with kubectl's message. */
  async resync(service: string, rule: SyncRule, pods: string[]): Promise<string[]> {
    const dir = this.dirs.get(service);
    if (!dir || !rule.packages) return [];
    return this.copyInto(service, rule, rule.packages, dir, pods);
  }

  /** The service's image was rebuilt from the file: its new pods have the packages, the folder here starts over. */
  forget(service: string): void {
    const dir = this.dirs.get(service);
    if (dir) rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(service);
  }

  /** Removes every folder this made here. */
  dispose(): void {
    for (const service of [...this.dirs.keys()]) this.forget(service);
  }

  /**
   * The folder's whole content goes into the pods' packages folder (pip: replacing it; npm: replacing the
   * package folders it names), and the pods are marked: the sync's path (sync.ts).
   */
  private copyInto(service: string, rule: SyncRule, packages: PackagesRule, dir: string, onlyPods?: string[]): Promise<string[]> {
    const extract = packages.tool === 'npm' ? [...packages.extract, ...topLevelPackages(readdirSync, dir)] : packages.extract;
    const into: SyncRule = { from: '', to: packages.to, container: rule.container, extract, remove: [] };
    return syncIntoPods(this.children, this.k, { service, rule: into, workspaceRoot: dir, files: ['.'], deleted: [], onlyPods });
  }
}
