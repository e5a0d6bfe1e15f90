/**
 * A changed requirements.txt installed into a FastAPI service's running dev pods, so that a new package
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

export type InstallOutcome =
  | { kind: 'installed'; pods: string[]; requirements: string[]; target: string; /** Seconds of each phase: "ask 0.6s, pip 2.1s, copy 0.9s". */ phases: string }
  | { kind: 'nothing'; reason: string }
  | { kind: 'fallback'; reason: string };

export interface InstallerOptions {
  /** The interpreter whose pip installs (default: $TODO_DEV_PYTHON or python3). */
  python?: string;
  /** The whole install's bound; past it the rebuild alone brings the change (default: $TODO_DEV_PIP_TIMEOUT seconds or 60 s). */
  timeoutMs?: number;
}

export class PackageInstaller {
  /** Per service: the folder here that holds what its pods' packages folder holds (everything installed since its image). */
  private readonly dirs = new Map<string, string>();
  private readonly python: string;
  private readonly timeoutMs: number;

  constructor(private readonly children: Children, private readonly k: KubeScope, options: InstallerOptions = {}) {
    this.python = options.python ?? process.env.TODO_DEV_PYTHON ?? 'python3';
    this.timeoutMs = options.timeoutMs ?? (Number(process.env.TODO_DEV_PIP_TIMEOUT) || 60) * 1000;
  }

  /** Installs what the running pods of `service` lack from its requirements file. Never throws. */
  async install(service: string, rule: SyncRule, workspaceRoot: string): Promise<InstallOutcome> {
    const packages = rule.packages;
    if (!packages) return { kind: 'fallback', reason: `${service} has no packages folder in its dev pods` };
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let staging: string | undefined;
    let t = Date.now();
    /** Seconds since the last phase ended. */
    const phase = () => {
      const seconds = ((Date.now() - t) / 1000).toFixed(1);
      t = Date.now();
      return `${seconds}s`;
    };
    try {
      const requirementsFile = join(workspaceRoot, packages.requirements);
      const requirements = parseRequirements(readFileSync(requirementsFile, 'utf8'));
      const pod = (await listPods(this.children, this.k, service)).find((p) => !p.deleting && p.phase === 'Running');
      if (!pod) return { kind: 'fallback', reason: 'no running pod' };
      const probe = await kube(this.children, this.k, ['exec', pod.name, '-c', rule.container, '--', 'python3', '-c', PROBE]);
      if (probe.status !== 0) return { kind: 'fallback', reason: `asking ${pod.name} for its Python failed: ${lastLine(probe.stderr) || `exit ${probe.status}`}` };
      const python = JSON.parse(probe.stdout) as PodPython;
      const asked = phase();
      const wanted = missingIn(python, requirements);
      if (wanted.length === 0) return { kind: 'nothing', reason: 'the pods already have every requirement' };

      staging = mkdtempSync(join(tmpdir(), `todo-dev-pip-${service}-`));
      // The file's exact pins constrain what the wanted lines pull in (extras and markers are not allowed in a constraints file).
      const constraints = join(staging, 'constraints.txt');
      writeFileSync(constraints, requirements.filter((r) => r.pinned && !/[[;]/.test(r.line)).map((r) => `${r.name}==${r.pinned}`).join('\n') + '\n');
      const index = process.env.TODO_DEV_PIP_INDEX_URL ? ['--index-url', process.env.TODO_DEV_PIP_INDEX_URL] : [];
      // Signalled at the deadline; not waited for past it (a grandchild may hold its output open).
      const timedOut = new Promise<undefined>((r) => deadline.addEventListener('abort', () => r(undefined), { once: true }));
      const pip = await Promise.race([timedOut, this.children.run(
        this.python,
        ['-m', 'pip', 'install', '--quiet', '--no-input', '--disable-pip-version-check', '--no-color', '--root-user-action=ignore', '--no-compile', '--target', join(staging, 'site'), '--timeout', '10', '--retries', '1', ...index, ...targetArgs(python), '-c', constraints, ...wanted.map((r) => r.line)],
        { signal: deadline },
      )]);
      if (!pip || deadline.aborted) return { kind: 'fallback', reason: `pip on this machine did not finish within ${this.timeoutMs / 1000}s (is the package index reachable? TODO_DEV_PIP_TIMEOUT changes the limit)` };
      if (pip.status !== 0) {
        // Its own error line (colours off: FORCE_COLOR, which Nx sets, turns them on even without --color).
        const said = stripVTControlCharacters(pip.stderr);
        return { kind: 'fallback', reason: `pip on this machine failed: ${said.split('\n').find((l) => l.startsWith('ERROR: ')) ?? (lastLine(said) || `exit ${pip.status}`)}` };
      }
      const installed = phase();
      // Console scripts name this machine's interpreter: of no use in the pod (the image drops them too).
      rmSync(join(staging, 'site', 'bin'), { recursive: true, force: true });
      const dir = this.dirs.get(service) ?? mkdtempSync(join(tmpdir(), `todo-dev-packages-${service}-`));
      this.dirs.set(service, dir);
      mergeInstalled(join(staging, 'site'), dir);
      const pods = await this.copyInto(service, rule, packages, dir);
      return { kind: 'installed', pods, requirements: wanted.map((r) => r.line), target: `Python ${python.python} ${python.libc[0] || 'musl'} ${python.machine}`, phases: `ask ${asked}, pip ${installed}, copy ${phase()}` };
    } catch (e) {
      return { kind: 'fallback', reason: deadline.aborted ? `not done within ${this.timeoutMs / 1000}s` : (e as Error).message };
    } finally {
      if (staging) rmSync(staging, { recursive: true, force: true });
    }
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

  /** The folder's whole content replaces the pods' packages folder, and the pods are marked: the sync's path (sync.ts). */
  private copyInto(service: string, rule: SyncRule, packages: PackagesRule, dir: string, onlyPods?: string[]): Promise<string[]> {
    const into: SyncRule = { from: '', to: packages.to, container: rule.container, extract: packages.extract, remove: [] };
    return syncIntoPods(this.children, this.k, { service, rule: into, workspaceRoot: dir, files: ['.'], deleted: [], onlyPods });
  }
}
