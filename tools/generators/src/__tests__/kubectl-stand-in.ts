/*
 * A kubectl stand-in for the dev loop's specs: one running pod of the asked component (todo-<component>-1),
 * of one Deployment (todo-<component>; rollout commands succeed);
 * `exec … -- <command>` runs the command here, with each argument under one of `containerPaths` moved under
 * `podRoot` (the rules' real python3, tar and rm commands write into a folder of the test's); every call is
 * appended to `log` (annotate included).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/kubectl` and returns its path. `containerPaths`: prefixes such as /app/ or /opt/dev/. */
export function kubectlStandIn(dir: string, podRoot: string, log: string, containerPaths: string[]): string {
  const kubectl = join(dir, 'kubectl');
  writeFileSync(
    kubectl,
    `#!/usr/bin/env bash
echo "$*" >> "${log}"
case "$*" in
  *"get pods"*) all="$*"; c="\${all##*component=}"; c="\${c%% *}"; echo '{"items":[{"metadata":{"name":"todo-'$c'-1","uid":"u1","labels":{"app.kubernetes.io/component":"'$c'"}},"status":{"phase":"Running"}}]}' ;;
  *"get deployments"*) all="$*"; c="\${all##*component=}"; c="\${c%% *}"; echo "deployment.apps/todo-$c" ;;
  *" exec "*) while [ "$1" != "--" ]; do shift; done; shift
    args=(); for a in "$@"; do case "$a" in ${containerPaths.map((p) => `${p}*`).join('|')}) args+=("${podRoot}$a") ;; *) args+=("$a") ;; esac; done
    exec "\${args[@]}" ;;
esac
`,
  );
  chmodSync(kubectl, 0o755);
  return kubectl;
}
