#!/usr/bin/env bash
# Deletes the offline kind cluster (OFFLINE_KIND_CLUSTER_NAME, default todo-test). This is `nx run offline-kind:cluster-down`.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
guard_test_cluster
"$(kind_bin)" delete cluster --name "$CLUSTER_NAME" --kubeconfig "$OK_CACHE/kubeconfig/$CLUSTER_NAME" >&2
rm -f "$OK_CACHE/kubeconfig/$CLUSTER_NAME"
