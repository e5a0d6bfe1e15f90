/**
 * Secrets encrypted at rest: an EncryptionConfiguration (aescbc, one 32-byte key) that the API server
 * reads through --encryption-provider-config. The key is generated once per cluster and kept outside the
 * repo in <stateDir>/<cluster>/encryption/config.yaml (directory 0700, file 0600); that directory is
 * mounted into the control-plane node (src/kind-config.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './versions';

/** Where the control-plane node and the API server pod see the directory. */
export const NODE_ENCRYPTION_DIR = '/etc/kubernetes/encryption';
export const ENCRYPTION_FILE = 'config.yaml';
export const ENCRYPTED_PREFIX = 'k8s:enc:aescbc:v1:';

export function encryptionConfigYaml(keyBase64: string, keyName = 'key1'): string {
  if (Buffer.from(keyBase64, 'base64').length !== 32) throw new Error('aescbc needs a 32-byte key');
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aescbc:',
    '          keys:',
    `            - name: ${keyName}`,
    `              secret: ${keyBase64}`,
    '      # reads data written before encryption was enabled',
    '      - identity: {}',
    '',
  ].join('\n');
}

export function clusterStateDir(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), cluster);
}

/** Creates the config once (a new random key); later calls return the same directory untouched. */
export function ensureEncryptionConfig(cluster: string, env: NodeJS.ProcessEnv = process.env): { dir: string; file: string; created: boolean } {
  const dir = join(clusterStateDir(cluster, env), 'encryption');
  const file = join(dir, ENCRYPTION_FILE);
  if (existsSync(file)) return { dir, file, created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, encryptionConfigYaml(randomBytes(32).toString('base64')), { mode: 0o600 });
  renameSync(tmp, file);
  return { dir, file, created: true };
}

export function readKey(file: string): string {
  const m = /secret: (\S+)/.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no key in ${file}`);
  return m[1];
}

/** Deletes a cluster's state (its key) when the cluster is deleted: its etcd is gone with it. */
export function removeClusterState(cluster: string, env: NodeJS.ProcessEnv = process.env): void {
  rmSync(clusterStateDir(cluster, env), { recursive: true, force: true });
}
