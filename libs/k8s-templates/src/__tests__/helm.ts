/* Test helpers: locate the pinned Helm 3 and Helm 4 binaries, write a file set to a temp dir. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const WORKSPACE = join(__dirname, '../../../..');

/** HELM3 / HELM4 from the environment, else `scripts/go-tool.sh helm3|helm4` (builds once if missing). */
export function helmBinary(major: 3 | 4): string {
  const fromEnv = process.env[`HELM${major}`];
  if (fromEnv) return fromEnv;
  return execFileSync('bash', [join(WORKSPACE, 'scripts/go-tool.sh'), `helm${major}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function writeTree(files: Record<string, string>, root = mkdtempSync(join(tmpdir(), 'k8s-templates-'))): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export interface HelmResult {
  ok: boolean;
  output: string;
}

export function helm(bin: string, args: string[]): HelmResult {
  try {
    const output = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
