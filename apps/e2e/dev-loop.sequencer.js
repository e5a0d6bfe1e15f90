/*
 * The dev-loop suite's order: inner-loop.dev-loop.ts makes the cluster todo-dev-e2e (its first test needs
 * none), then the files that reuse it (dashboard.dev-loop.ts). Jest's own order (slowest first) is not that.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['inner-loop.dev-loop.ts'];

class DevLoopSequencer extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = FIRST.findIndex((f) => t.path.endsWith(f));
      return i < 0 ? FIRST.length : i;
    };
    return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }
}

module.exports = DevLoopSequencer;
