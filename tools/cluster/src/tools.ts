/**
 * The one tool resolver: pinned kind, kubectl, helm and minikube in a project-local folder (.tools/bin),
 * `findTool` (no download) and `resolveTool` (download when missing), in one order:
 *   1. KUBECTL / HELM, then <TOOL>_BIN (KIND_BIN, KUBECTL_BIN, HELM_BIN, MINIKUBE_BIN): an explicit binary
 *   2. the tool on PATH
 *   3. .tools/bin/<tool> (installed earlier)
 *   4. download it now (resolveTool, unless autoInstall is false)
 *
 * Downloads come from the official release URLs in versions.json; TOOLS_MIRROR=<url> replaces every base
 * URL with <url>/<tool> (same paths below it). Each download is checked against the checksum file
 * published next to it (same mirror) AND against the pin in versions.json when there is one; a mismatch,
 * a 404 or any other failure leaves nothing in .tools/bin (we write to a temp file and rename).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, statSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { delimiter, join } from 'node:path';
import { ClusterError, OFFLINE_FIX, toolMissing } from './errors';
import { capture, lastLine } from './exec';
import { TOOL_NAMES, ToolName, ToolSpec, toolsDir, versions } from './versions';

export interface Platform {
  os: 'linux' | 'darwin';
  arch: 'amd64' | 'arm64';
}

export function currentPlatform(): Platform {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform === 'linux' ? 'linux' : null;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : null;
  if (!os || !arch) {
    throw new ClusterError('tools', `no pinned downloads for ${process.platform}/${process.arch}`, 'install kind, kubectl, helm and minikube yourself and put them on PATH');
  }
  return { os, arch };
}

function fill(template: string, spec: ToolSpec, p: Platform): string {
  return template.replace(/\{version\}/g, spec.version).replace(/\{os\}/g, p.os).replace(/\{arch\}/g, p.arch);
}

export interface DownloadPlan {
  tool: ToolName;
  version: string;
  url: string;
  checksumUrl: string;
  pinnedSha256?: string;
  archive: string | null;
}

export function downloadPlan(tool: ToolName, p: Platform, env: NodeJS.ProcessEnv = process.env, spec: ToolSpec = versions.tools[tool]): DownloadPlan {
  const base = env.TOOLS_MIRROR ? `${env.TOOLS_MIRROR.replace(/\/+$/, '')}/${tool}` : spec.baseUrl;
  const archive = spec.archive ? fill(spec.archive, spec, p) : null;
  return {
    tool,
    version: spec.version,
    url: `${base}/${fill(spec.file, spec, p)}`,
    checksumUrl: `${base}/${fill(spec.checksumFile, spec, p)}`,
    pinnedSha256: spec.sha256[`${p.os}-${p.arch}`] || undefined,
    archive,
  };
}

/** GET into memory, following redirects (release sites redirect to object storage). */
export function fetchBuffer(url: string, redirects = 5): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        resolve(fetchBuffer(new URL(res.headers.location, url).toString(), redirects - 1));
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status} for ${url}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new Error(`${e.message} (${url})`)));
    req.setTimeout(120_000, () => req.destroy(new Error(`timed out: ${url}`)));
  });
}

/** "<hex>" or "<hex>  <file>" (sha256sum format); the first 64-hex word. */
export function parseChecksum(text: string): string | null {
  const m = /\b([0-9a-fA-F]{64})\b/.exec(text);
  return m ? m[1].toLowerCase() : null;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDir(env), 'bin');
}

/** Marker recording which version is installed, so a version bump reinstalls. */
const stampPath = (tool: ToolName, env: NodeJS.ProcessEnv) => join(toolsDir(env), 'versions', tool);

export function installedVersion(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string | null {
  const bin = join(binDir(env), tool);
  const stamp = stampPath(tool, env);
  if (!existsSync(bin) || !existsSync(stamp)) return null;
  return readFileSync(stamp, 'utf8').trim();
}

export interface InstallResult {
  tool: ToolName;
  path: string;
  version: string;
  installed: boolean; // false = it was already there
}

export async function installTool(tool: ToolName, opts: { env?: NodeJS.ProcessEnv; platform?: Platform; spec?: ToolSpec; log?: (m: string) => void } = {}): Promise<InstallResult> {
  const env = opts.env ?? process.env;
  const p = opts.platform ?? currentPlatform();
  const spec = opts.spec ?? versions.tools[tool];
  const log = opts.log ?? ((m: string) => process.stderr.write(`cluster: ${m}\n`));
  const dest = join(binDir(env), tool);
  if (installedVersion(tool, env) === spec.version) return { tool, path: dest, version: spec.version, installed: false };

  const plan = downloadPlan(tool, p, env, spec);
  const step = `tools: ${tool} ${plan.version}`;
  log(`downloading ${tool} ${plan.version} from ${plan.url}`);
  let body: Buffer;
  let published: string | null;
  try {
    body = await fetchBuffer(plan.url);
  } catch (e) {
    throw new ClusterError(step, `download failed: ${(e as Error).message}`, `check the URL or your mirror (TOOLS_MIRROR=${env.TOOLS_MIRROR ?? '<unset>'}); it must serve ${plan.url.replace(/^.*?\/\/[^/]+/, '')}; ${OFFLINE_FIX}`);
  }
  try {
    published = parseChecksum((await fetchBuffer(plan.checksumUrl)).toString('utf8'));
  } catch (e) {
    throw new ClusterError(step, `checksum file download failed: ${(e as Error).message}`, `the mirror must serve the published checksum file next to the binary (${plan.checksumUrl}); ${OFFLINE_FIX}`);
  }
  if (!published) throw new ClusterError(step, `no SHA-256 in ${plan.checksumUrl}`, 'the mirror serves a broken checksum file; re-sync it from the official release');
  const actual = sha256(body);
  if (actual !== published) {
    throw new ClusterError(step, `checksum mismatch: downloaded file has sha256 ${actual}, ${plan.checksumUrl} says ${published}; nothing was installed`, 'the download is corrupt or tampered with: re-sync the mirror from the official release and retry');
  }
  if (plan.pinnedSha256 && actual !== plan.pinnedSha256.toLowerCase()) {
    throw new ClusterError(step, `checksum mismatch: sha256 ${actual} differs from the pin ${plan.pinnedSha256} in tools/cluster/versions.json; nothing was installed`, 'the mirror serves a different build than the pinned release: fix the mirror, or (after checking the official checksum) update the pin');
  }

  mkdirSync(binDir(env), { recursive: true });
  ensureGitignore(env);
  const tmpDir = mkdtempSync(join(binDir(env), `.${tool}-`));
  try {
    const tmpBin = join(tmpDir, tool);
    if (plan.archive) {
      const tgz = join(tmpDir, 'download.tar.gz');
      writeFileSync(tgz, body);
      execFileSync('tar', ['-xzf', tgz, '-C', tmpDir, plan.archive], { stdio: 'pipe' });
      renameSync(join(tmpDir, plan.archive), tmpBin);
    } else {
      writeFileSync(tmpBin, body);
    }
    chmodSync(tmpBin, 0o755);
    renameSync(tmpBin, dest);
  } catch (e) {
    throw new ClusterError(step, `could not unpack/install: ${(e as Error).message}`, `check that ${binDir(env)} is writable`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  mkdirSync(join(toolsDir(env), 'versions'), { recursive: true });
  writeFileSync(stampPath(tool, env), `${plan.version}\n`);
  log(`installed ${tool} ${plan.version} (sha256 ${actual}) into ${dest}`);
  return { tool, path: dest, version: plan.version, installed: true };
}

/** .tools/ is never committed: a .gitignore inside it says so without touching the root one. */
function ensureGitignore(env: NodeJS.ProcessEnv): void {
  const f = join(toolsDir(env), '.gitignore');
  if (!existsSync(f)) writeFileSync(f, '# downloaded by `nx run cluster:tools`; never committed\n*\n');
}

export async function installAll(opts: { env?: NodeJS.ProcessEnv; tools?: ToolName[] } = {}): Promise<InstallResult[]> {
  const out: InstallResult[] = [];
  for (const t of opts.tools ?? TOOL_NAMES) out.push(await installTool(t, { env: opts.env }));
  return out;
}

export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const f = join(dir, name);
    try {
      accessSync(f, constants.X_OK);
      if (statSync(f).isFile()) return f;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Short variables the deploy and the executors have always honoured (KUBECTL=..., HELM=...). */
const SHORT_VARS: Partial<Record<ToolName, string>> = { kubectl: 'KUBECTL', helm: 'HELM' };

/**
 * The one lookup order for every tool, without installing: KUBECTL / HELM, <TOOL>_BIN (must exist),
 * PATH, then .tools/bin (TOOLS_DIR). undefined when none has it.
 */
export function findTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const short = SHORT_VARS[tool];
  if (short && env[short]) return env[short];
  const explicit = env[`${tool.toUpperCase()}_BIN`];
  if (explicit) {
    if (!existsSync(explicit)) throw toolMissing(tool, `${tool.toUpperCase()}_BIN=${explicit} does not exist`);
    return explicit;
  }
  const found = onPath(tool, env);
  if (found) return found;
  const local = join(binDir(env), tool);
  return existsSync(local) ? local : undefined;
}

/** The path of a usable `tool` (findTool's order), downloading the pinned one when none is found (unless autoInstall is false). */
export async function resolveTool(tool: ToolName, opts: { env?: NodeJS.ProcessEnv; autoInstall?: boolean } = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const found = findTool(tool, env);
  if (found) return found;
  if (opts.autoInstall === false) throw toolMissing(tool, 'automatic install disabled');
  try {
    return (await installTool(tool, { env })).path;
  } catch (e) {
    if (e instanceof ClusterError) throw toolMissing(tool, e.cause);
    throw e;
  }
}

/**
 * A CLI pinned in one of the workspace's install scripts (scripts/go-tool.sh builds from the Go module
 * proxy, scripts/py-tool.sh installs from PyPI), each into a cache outside the checkout on first use:
 * its path, the script's last line. `fix` says what the user can do instead (a variable naming a binary).
 */
export function pinnedTool(workspaceRoot: string, script: 'go-tool.sh' | 'py-tool.sh', tool: string, fix: string, timeoutMs?: number): string {
  const path = join(workspaceRoot, 'scripts', script);
  if (!existsSync(path)) throw new ClusterError(tool, `${path} is missing`, `restore it (git checkout -- scripts/${script}), or ${fix}`);
  const r = capture('bash', [path, tool], { timeoutMs });
  const bin = lastLine(r.stdout);
  if (r.status !== 0 || !bin) throw new ClusterError(tool, `scripts/${script} ${tool} failed: ${lastLine(r.stderr) || `exit ${r.status}`}`, fix);
  return bin;
}
