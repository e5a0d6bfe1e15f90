/* The environment's context: its tools {helm, kubectl}, found once by @todo/cluster's order and only when used. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standInSuite } from '../__tests__/helm-stand-ins';
import { envContext, requireKubectl } from './scope';

const t = standInSuite();
let empty: string;
beforeEach(() => (empty = mkdtempSync(join(tmpdir(), 'no-tools-'))));
afterEach(() => rmSync(empty, { recursive: true, force: true }));

it('finds helm and kubectl once, when first used', () => {
  const ctx = envContext({ environment: 'local' }, t.ws.context);
  expect(t.tools.calls()).toEqual(['']); // nothing asked yet
  expect([ctx.tools.helm, ctx.tools.helm.bin, ctx.tools.kubectl]).toEqual([{ bin: t.tools.helm, major: 3, version: 'v3.22.0' }, t.tools.helm, t.tools.kubectl]);
  expect(t.tools.calls()).toEqual(['helm version --template {{.Version}}']);
});

it('no kubectl: undefined in the context; requireKubectl names where it looked and the fix, a dry run takes the bare name', () => {
  Object.assign(process.env, { PATH: empty, TOOLS_DIR: empty });
  delete process.env.KUBECTL;
  delete process.env.KUBECTL_BIN;
  const ctx = envContext({ environment: 'local' }, t.ws.context);
  expect(ctx.tools.kubectl).toBeUndefined();
  expect(() => requireKubectl(ctx, 'backup')).toThrow(/^backup: kubectl not found \(KUBECTL, KUBECTL_BIN, PATH, \.tools\/bin\)\n {2}fix: put it on PATH, set KUBECTL, or run `npx nx run cluster:tools`$/);
  expect(requireKubectl(envContext({ environment: 'local', dryRun: true }, t.ws.context), 'backup')).toBe('kubectl');
  process.env.KUBECTL = '/opt/kubectl';
  expect(requireKubectl(envContext({ environment: 'local' }, t.ws.context), 'backup')).toBe('/opt/kubectl');
});
