import { capture, commandLine, must, run, streamAndCapture } from './exec';
import { ClusterError } from './errors';

describe('the process runner', () => {
  it('capture: output and status; a missing binary is 127, not an exception', () => {
    expect(capture('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({ status: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(capture('/nonexistent/tool', []).status).toBe(127);
  });

  it('streamAndCapture: each line reaches onLine as it comes, and the whole output is returned', async () => {
    const seen: string[] = [];
    const r = await streamAndCapture('sh', ['-c', 'echo one; echo two >&2; printf three'], { onLine: (l, from) => seen.push(`${from}:${l}`) });
    expect(r).toEqual({ status: 0, stdout: 'one\nthree', stderr: 'two\n' });
    expect(seen.sort()).toEqual(['stderr:two', 'stdout:one', 'stdout:three']);
    expect((await streamAndCapture('/nonexistent/tool', [], { onLine: () => undefined })).status).toBe(127);
    expect((await streamAndCapture('/nonexistent/tool', [], { input: 'x\n', onLine: () => undefined })).status).toBe(127);
    expect(await streamAndCapture('cat', [], { input: 'piped\n', onLine: () => undefined })).toEqual({ status: 0, stdout: 'piped\n', stderr: '' });
  });

  it('streamAndCapture: binary input, an abort that ends a follower, and lines without keeping them', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    expect((await streamAndCapture('wc', ['-c'], { input: bytes, onLine: () => undefined })).stdout.trim()).toBe('5');
    const abort = new AbortController();
    const lines: string[] = [];
    const follower = streamAndCapture('sh', ['-c', 'echo started; exec sleep 30'], { signal: abort.signal, discard: true, onLine: (l) => lines.push(l) });
    while (!lines.includes('started')) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    abort.abort();
    const r = await follower;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
  });

  it('must: a failing command becomes a ClusterError naming the step, the command and the fix', () => {
    expect(() => must(run, 'kind create cluster', 'retry', 'sh', ['-c', 'echo boom >&2; exit 1'])).toThrow(ClusterError);
    expect(() => must(run, 'kind create cluster', 'retry', 'sh', ['-c', 'echo boom >&2; exit 1'])).toThrow(/kind create cluster: `sh -c .*` failed: boom\n {2}fix: retry/);
    expect(commandLine('helm', ['upgrade', 'a b'])).toBe("helm upgrade 'a b'");
  });
});
