/**
 * The npm side of packages.ts: a changed package.json (or the lockfile) of a Next.js service, installed
 * into its running dev pods while the dev image is rebuilt behind it.
 *
 * Where the packages go: the app's own `node_modules` folder, inside the code emptyDir the chart's dev
 * mode mounts on the app's folder (/repo/apps/<service>/, seeded from the image). Node's resolution, and
 * the bundler of `next dev` (Turbopack resolves as Node does), look there first, walking up from the
 * importing file, before the image's hoisted /repo/node_modules; so the new package is found by the app's
 * imports without a new volume, NODE_PATH (which ESM and the bundler ignore) or a write to the read-only
 * root. Only the packages the pods lack go there, each with its own dependencies nested under it
 * (npm's `shallow` install strategy), so nothing the image has is shadowed for anything but the app's own
 * imports of a package that was bumped. Peer dependencies are not installed: they resolve to the image's
 * (one React). Install scripts are not run (as the image's own `npm ci --ignore-scripts`), so a package
 * that needs one to build a native addon waits for the rebuild; pure JavaScript packages, and native ones
 * shipped as prebuilt optional dependencies (npm picks the pods' os, cpu and libc), work.
 */

/** What a pod's Node is and has: the target of the install. */
export interface PodNode {
  node: string;
  platform: string;
  arch: string;
  libc: 'glibc' | 'musl';
  /** Package name -> the version the app resolves (its node_modules, then each parent's), null when none. */
  versions: Record<string, string | null>;
}

/** Prints the pod's PodNode as JSON. argv: the app's folder, then the package names. */
export const NODE_PROBE = `const fs = require("fs"), path = require("path");
const [dir, ...names] = process.argv.slice(process.argv[1] === "--" ? 2 : 1);
const versions = {};
for (const name of names) {
  versions[name] = null;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try { versions[name] = JSON.parse(fs.readFileSync(path.join(d, "node_modules", name, "package.json"), "utf8")).version; break; } catch {}
    if (path.dirname(d) === d) break;
  }
}
const libc = process.report.getReport().header.glibcVersionRuntime ? "glibc" : "musl";
console.log(JSON.stringify({ node: process.versions.node, platform: process.platform, arch: process.arch, libc, versions }));`;

export interface NpmDependency {
  name: string;
  /** As written in package.json ("1.3.0", "^2.1.0"). */
  spec: string;
}

const EXACT = /^=?v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/;

/** A package.json's dependencies, devDependencies and optionalDependencies (the image's `npm ci` installs them all). Throws naming the first that is not a registry version or range. */
export function parseManifest(text: string, file: string): NpmDependency[] {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message})`);
  }
  const out = new Map<string, NpmDependency>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    for (const [name, spec] of Object.entries((json[field] ?? {}) as Record<string, unknown>)) {
      // file:, link:, workspace:, npm: aliases, git and tarball URLs, GitHub "owner/repo": left to the rebuild.
      if (typeof spec !== 'string' || /[:/]/.test(spec)) throw new Error(`"${name}": ${JSON.stringify(spec)} in ${file} is not a registry version or range (paths, aliases, git and URLs are left to the rebuild)`);
      out.set(name, { name, spec: spec.trim() || '*' });
    }
  }
  return [...out.values()];
}

/**
 * The version the lockfile resolves for each package of the app at `appDir` (workspace-relative, e.g.
 * apps/frontend): its own node_modules entry, else the hoisted one. {} without a lockfile.
 */
export function lockedVersions(lockText: string | undefined, appDir: string): Record<string, string> {
  if (!lockText) return {};
  const packages = (JSON.parse(lockText) as { packages?: Record<string, { version?: string }> }).packages ?? {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(packages)) {
    const m = /^(?:(.+)\/)?node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (!m || !entry.version || (m[1] !== undefined && m[1] !== appDir)) continue;
    if (m[1] === appDir || out[m[2]] === undefined) out[m[2]] = entry.version;
  }
  return out;
}

/**
 * What to install: `name@version` for each dependency whose version the pods do not have. The version is
 * the package.json's exact pin; for a range, the lockfile's (what `npm install` resolved, and the rebuilt
 * image's `npm ci` installs); for a range the lockfile does not know, the range itself when the pods
 * lack the package (a range the pods' version may satisfy is not second-guessed here: the rebuild brings it).
 */
export function wantedSpecs(deps: NpmDependency[], locked: Record<string, string>, pod: Pick<PodNode, 'versions'>): string[] {
  const out: string[] = [];
  for (const { name, spec } of deps) {
    const have = pod.versions[name] ?? undefined;
    const exact = EXACT.exec(spec)?.[1];
    const version = exact ?? locked[name];
    if (version !== undefined ? have !== version : have === undefined) out.push(`${name}@${version ?? spec}`);
  }
  return out;
}

/** npm's flags for an install of `specs` into `prefix` for the pods' platform: packages only, no scripts, no lockfile, peers left to the image. */
export const npmInstallArgs = (prefix: string, pod: Omit<PodNode, 'versions'>, specs: string[]) => [
  'install', '--prefix', prefix,
  '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', '--color=false', '--loglevel=error',
  '--install-strategy=shallow', '--omit=peer',
  `--os=${pod.platform}`, `--cpu=${pod.arch}`, `--libc=${pod.libc}`,
  '--fetch-timeout=10000', '--fetch-retries=1',
  ...specs,
];

/**
 * The environment for npm here: this process's, without what npm sets for the scripts it runs (`npx nx`
 * is one). Its npm_config_local_prefix names the workspace, and npm honours it over the folder it runs
 * in: an install there would write the workspace's lockfile. The user's own npm_config_* settings stay.
 */
export function npmChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_(config_local_prefix|package_|lifecycle_|command$|execpath$|node_execpath$)/i.test(k)));
}

/** npm's own error line ("npm error 404 Not Found - GET …"), else its last line. */
export function npmError(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => /^npm (error|ERR!) /.test(l) && !/^npm (error|ERR!) (A complete log|code |errno |$)/.test(l));
  return lines[0]?.replace(/^npm (error|ERR!) /, '');
}

/** The top-level packages of a node_modules folder ("left-pad", "@scope/pkg"), hidden entries and .bin left out. */
export function topLevelPackages(entries: (dir: string) => string[], nodeModules: string): string[] {
  return entries(nodeModules)
    .filter((e) => !e.startsWith('.'))
    .flatMap((e) => (e.startsWith('@') ? entries(`${nodeModules}/${e}`).filter((s) => !s.startsWith('.')).map((s) => `${e}/${s}`) : [e]));
}
