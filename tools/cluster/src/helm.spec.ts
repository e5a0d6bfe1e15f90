/* Helm's version and the flag that differs between Helm 3 and Helm 4. */
import type { Runner } from './exec';
import { parseHelmVersion, probeHelm, rollbackOnFailureFlag } from './helm';

it.each([
  ['v3.22.0', 3, 'v3.22.0'],
  ['v3.22', 3, 'v3.22'],
  ['v4.3.1', 4, 'v4.3.1'],
  ['4.0.0-rc.1', 4, 'v4.0.0'],
])('parseHelmVersion(%s)', (out, major, version) => {
  expect(parseHelmVersion(out)).toEqual({ major, version });
});

it('parseHelmVersion rejects garbage', () => expect(() => parseHelmVersion('dev')).toThrow(/Cannot read the Helm version/));

it('rollback flag by major', () => {
  expect(rollbackOnFailureFlag({ bin: 'h', major: 3, version: 'v3.22.0' })).toBe('--atomic');
  expect(rollbackOnFailureFlag({ bin: 'h', major: 4, version: 'v4.3.1' })).toBe('--rollback-on-failure');
});

it('probeHelm asks the binary through the runner given; refuses a failing one and Helm 2', () => {
  const calls: string[] = [];
  const answering = (status: number, stdout: string): Runner => (cmd, args) => (calls.push([cmd, ...args].join(' ')), { status, stdout, stderr: status ? 'exec format error' : '' });
  expect(probeHelm('/x/helm', answering(0, 'v4.1.0'))).toEqual({ bin: '/x/helm', major: 4, version: 'v4.1.0' });
  expect(calls).toEqual(['/x/helm version --template {{.Version}}']);
  expect(() => probeHelm('/x/helm', answering(1, ''))).toThrow('/x/helm version failed: exec format error');
  expect(() => probeHelm('/x/helm', answering(0, 'v2.17.0'))).toThrow('/x/helm is Helm v2.17.0; the platform supports Helm 3 and Helm 4');
});
