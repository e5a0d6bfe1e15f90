/*
 * One Node and one Python per workspace: the Dockerfile defaults users pull, .nvmrc (CI, nvm,
 * actions/setup-node), package.json engines and the offline bases that stand in for the defaults.
 */
import { baseImageVersions, node, python, read } from './bases';

const env = baseImageVersions();

describe('runtime versions in step', () => {
  it('.nvmrc is the exact Node of the default node:<version>-alpine base and of the offline node base', () => {
    const nvmrc = read('.nvmrc').trim();
    expect(nvmrc).toBe(node.version);
    expect(env.NODE_VERSION).toBe(node.version);
  });

  it("package.json engines admit that Node, and no older major", () => {
    const engines: string = JSON.parse(read('package.json')).engines.node;
    const min = /^>=(\d+)\./.exec(engines);
    expect(min).not.toBeNull();
    expect(Number(min?.[1])).toBe(Number(node.version.split('.')[0]));
  });

  it('the offline Python base runs the minor version of the default python:<version>-alpine base', () => {
    expect(env.PYTHON_SERIES).toBe(python.minor);
  });

  it('both defaults are on the same Alpine release', () => {
    expect(python.alpine).toBe(node.alpine);
  });
});
