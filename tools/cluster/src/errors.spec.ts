import { ClusterError, PlatformError, toolMissing } from './errors';

describe('the family of errors: step, cause and fix', () => {
  it('ClusterError is a PlatformError and prints three lines', () => {
    const e = new ClusterError('load', 'the node is gone', 'deploy again');
    expect(e).toBeInstanceOf(PlatformError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ClusterError');
    expect(e.message).toBe('load: the node is gone\n  fix: deploy again');
    expect(e.describe()).toBe('error in step "load"\n  cause: the node is gone\n  fix:   deploy again');
    expect(e.format()).toBe(`cluster: ${e.describe()}`);
  });

  it('a member may word its message its own way; describe() prints it', () => {
    class OneLine extends PlatformError {
      constructor(cause: string, fix: string) {
        super('options', cause, fix, `${cause}: ${fix}`);
      }
    }
    const e = new OneLine('Invalid --x=1', 'use 2');
    expect([e.name, e.step, e.cause, e.fix, e.message]).toEqual(['OneLine', 'options', 'Invalid --x=1', 'use 2', 'Invalid --x=1: use 2']);
    expect(e.describe()).toBe('Invalid --x=1: use 2');
  });

  it('a missing tool names --offline, the one thing that works without a download site', () => {
    expect(toolMissing('helm', 'download failed').fix).toMatch(/nx run cluster:tools.*HELM_BIN.*npx nx run todo:deploy-local --offline/);
  });
});
