import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { encryptionConfigYaml, ensureEncryptionConfig, readKey, removeClusterState } from './encryption';

describe('encryption at rest', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-enc-'));
    env = { CLUSTER_STATE_DIR: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renders an aescbc EncryptionConfiguration for secrets with identity fallback', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const doc = parse(encryptionConfigYaml(key));
    expect(doc).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'key1', secret: key }] } }, { identity: {} }] }],
    });
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptionConfigYaml(Buffer.alloc(16).toString('base64'))).toThrow('32-byte');
  });

  it('generates the key once per cluster, 0600 in a 0700 directory, and removes it with the cluster', () => {
    const a = ensureEncryptionConfig('c1', env);
    expect(a.created).toBe(true);
    expect(a.file).toBe(join(dir, 'c1', 'encryption', 'config.yaml'));
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    expect(statSync(a.dir).mode & 0o777).toBe(0o700);
    const key = readKey(a.file);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const b = ensureEncryptionConfig('c1', env);
    expect(b.created).toBe(false);
    expect(readKey(b.file)).toBe(key);
    expect(readKey(ensureEncryptionConfig('c2', env).file)).not.toBe(key);
    removeClusterState('c1', env);
    expect(existsSync(join(dir, 'c1'))).toBe(false);
    expect(readFileSync(join(dir, 'c2', 'encryption', 'config.yaml'), 'utf8')).toContain('aescbc');
  });
});
