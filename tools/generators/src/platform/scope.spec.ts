/* The environment's context: its tools {helm, kubectl}, found once by @todo/cluster's order and only when used. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempWorkspace, deployWorkspace } from '../__tests__/deploy-workspace';
import { StandIns, helmStandIns } from '../__tests__/helm-stand-ins';
import { envContext, requireKubectl } from './scope';

let ws: TempWorkspace;
let tools: StandIns;
const saved = { ...process.env };
let empty: string;
beforeAll(() => {
  ws = deployWorkspace();
  tools = helmStandIns(ws.dir);
});
afterAll(() => ws.remove());
beforeEach(() => {
  tools.reset();
  empty = mkdtempSync(join(tmpdir(), 'no-tools-'));
});
afterEach(() => {
  process.env = { ...saved };
  rmSync(empty, { recursive: true, force: true });
});

it('finds helm and kubectl once, when first used', () => {
  const ctx = envContext({ environment: 'local' }, ws.context);
  expect(tools.calls()).toEqual(['']); // nothing asked yet
  expect([ctx.tools.helm, ctx.tools.helm.bin, ctx.tools.kubectl]).toEqual([{ bin: tools.helm, major: 3, version: 'v3.22.0' }, tools.helm, tools.kubectl]);
  expect(tools.calls()).toEqual(['helm version --template {{.Version}}']);
});

it('no kubectl: undefined in the context; requireKubectl names where it looked and the fix, a dry run takes the bare name', () => {
  Object.assign(process.env, { PATH: empty, TOOLS_DIR: empty });
  delete process.env.KUBECTL;
  delete process.env.KUBECTL_BIN;
  const ctx = envContext({ environment: 'local' }, ws.context);
  expect(ctx.tools.kubectl).toBeUndefined();
  expect(() => requireKubectl(ctx, 'backup')).toThrow(/^backup: kubectl not found \(KUBECTL, KUBECTL_BIN, PATH, \.tools\/bin\)\n {2}fix: put it on PATH, set KUBECTL, or run `npx nx run cluster:tools`$/);
  expect(requireKubectl(envContext({ environment: 'local', dryRun: true }, ws.context), 'backup')).toBe('kubectl');
  process.env.KUBECTL = '/opt/kubectl';
  expect(requireKubectl(envContext({ environment: 'local' }, ws.context), 'backup')).toBe('/opt/kubectl');
});
