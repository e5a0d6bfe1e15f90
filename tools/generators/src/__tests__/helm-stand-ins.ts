/*
 * Recording stand-ins for helm and kubectl on disk, for the executors that start them as processes
 * (status, rollback, uninstall): each call is appended to a log; HELM and KUBECTL point at them. The
 * deploy's steps take a recording runner instead (deploy-workspace.ts).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace, deployWorkspace, restoredAfterEach } from './deploy-workspace';

export interface StandIns {
  helm: string;
  kubectl: string;
  /** The calls so far, `<tool> <args>` each. */
  calls(): string[];
  /** Forget the calls so far; HELM and KUBECTL point at the stand-ins. */
  reset(): void;
}

export function helmStandIns(dir: string): StandIns {
  const log = join(dir, 'calls.log');
  const fake = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const helm = fake('helm', `if [ "$1" = version ]; then printf '%s' "\${FAKE_HELM_VERSION:-v3.22.0}"; exit 0; fi\nexit "\${FAKE_HELM_EXIT:-0}"`);
  // The metrics API answers only with FAKE_METRICS set (a cluster without metrics-server otherwise); lists are empty.
  const kubectl = fake(
    'kubectl',
    `case "$*" in
  *"get --raw /apis/metrics.k8s.io/v1beta1/nodes"*) [ -n "$FAKE_METRICS" ] || { echo 'Error from server (NotFound): the server could not find the requested resource' >&2; exit 1; } ;;
  *"get --raw /apis/metrics.k8s.io"*) echo "$FAKE_METRICS" ;;
  *"-o json"*) echo '{"items": []}' ;;
esac
exit 0`,
  );
  return {
    helm,
    kubectl,
    calls: () => readFileSync(log, 'utf8').trim().split('\n'),
    reset: () => {
      writeFileSync(log, '');
      process.env.HELM = helm;
      process.env.KUBECTL = kubectl;
    },
  };
}

/** Registers a spec's hooks: a temp workspace with the stand-ins (deploy-workspace.ts), reset before each test; console.log quiet; the environment restored. */
export function standInSuite(): { readonly ws: TempWorkspace; readonly tools: StandIns } {
  let ws: TempWorkspace;
  let tools: StandIns;
  restoredAfterEach();
  beforeAll(() => {
    ws = deployWorkspace();
    tools = helmStandIns(ws.dir);
  });
  afterAll(() => ws.remove());
  beforeEach(() => {
    tools.reset();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  return {
    get ws() {
      return ws;
    },
    get tools() {
      return tools;
    },
  };
}
