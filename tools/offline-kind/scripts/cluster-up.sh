#!/usr/bin/env bash
# Creates the offline kind cluster with the Traefik ingress controller ready, through tools/cluster's
# cluster-up (the code users run) given the offline node and Traefik images. Idempotent: an existing
# cluster of that name is reused. This is `nx run offline-kind:cluster-up`.
#
# Environment:
#   OFFLINE_KIND_CLUSTER_NAME   cluster name (default todo-test; "todo", the app's, is refused)
#   OFFLINE_KIND_HTTP_PORT / OFFLINE_KIND_HTTPS_PORT   host ports on 127.0.0.1 for the ingress
#                          (default 18180/18543; 80/443, the app's, are refused)
# Prints the kubeconfig path ($OK_CACHE/kubeconfig/<name>; the user's ~/.kube/config is not touched).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

guard_test_cluster
start=$(date +%s)
bash "$OK_REPO/.ci/start-docker.sh"
image="$("$OK_ROOT/scripts/build-node.sh")"
kind="$(kind_bin)"
kubectl="$("$OK_ROOT/scripts/build-go.sh" kubernetes)/kubectl"
kubeconfig="$OK_CACHE/kubeconfig/$CLUSTER_NAME"
mkdir -p "$(dirname "$kubeconfig")"

# A node that is not running (Docker restarted, e.g. after a reboot or when the session that made it
# ended) cannot be reused: kind still lists the cluster, but its API server is gone. Recreate it.
if "$kind" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME" \
  && [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$CLUSTER_NAME-control-plane" 2>/dev/null)" != true ]; then
  log "cluster $CLUSTER_NAME exists but its node is not running; deleting it to create it again"
  "$kind" delete cluster --name "$CLUSTER_NAME" --kubeconfig "$kubeconfig" >&2
fi

# A cluster made with other ports (before the test cluster moved off 80/443, or other OFFLINE_KIND_*
# ports) would hold ports that are not its own: recreate it on the ones asked for.
if "$kind" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  bound="$("$DOCKER" inspect -f '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostPort}} {{end}}{{end}}' "$CLUSTER_NAME-control-plane" 2>/dev/null || true)"
  case " $bound " in
    *" $HTTP_PORT "*" $HTTPS_PORT "* | *" $HTTPS_PORT "*" $HTTP_PORT "*) ;;
    *)
      log "cluster $CLUSTER_NAME is bound to ports ${bound:-?}, not $HTTP_PORT/$HTTPS_PORT; deleting it to create it again"
      "$kind" delete cluster --name "$CLUSTER_NAME" --kubeconfig "$kubeconfig" >&2
      ;;
  esac
fi

if "$kind" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  running="$("$DOCKER" inspect -f '{{.Config.Image}}' "$CLUSTER_NAME-control-plane" 2>/dev/null || true)"
  [ "$running" = "$image" ] || log "note: it runs $running, not the current $image; cluster-down + cluster-up to switch"
fi

# The cluster comes up through the user's code: tools/cluster (what `nx run cluster:cluster-up` and
# deploy-<env> run: its kind configuration, encryption at rest, Traefik, waits), given the offline
# node image and the offline Traefik and metrics-server builds. Reuses an existing cluster of that name.
traefik_image="offline-kind.local/traefik:$TRAEFIK_VERSION"
# metrics-server is not in the node image (a version bump would rebuild all 1.4 GB of it): built apart,
# and cluster-up loads it into the nodes.
metrics_image="$("$OK_ROOT/scripts/build-images.sh" metrics-server)"
log "cluster-up of $CLUSTER_NAME from $image (tools/cluster)"
(
  cd "$OK_REPO"
  export KIND_CLUSTER_NAME="$CLUSTER_NAME" KIND_NODE_IMAGE="$image" TRAEFIK_IMAGE="$traefik_image" \
    METRICS_SERVER_IMAGE="$metrics_image" KIND_LOAD_IMAGES="$metrics_image" \
    KIND_HTTP_PORT="$HTTP_PORT" KIND_HTTPS_PORT="$HTTPS_PORT" \
    CLUSTER_KUBECONFIG="$kubeconfig" KIND_BIN="$kind" KUBECTL="$kubectl" KUBECTL_BIN="$kubectl" DOCKER="$DOCKER"
  timed "cluster-up" node -r @swc-node/register tools/cluster/src/cli.ts up --cluster=kind >&2
) || die "cluster-up failed (its error is above); for details: $kind export logs --name $CLUSTER_NAME"

log "cluster $CLUSTER_NAME ready (ingress on 127.0.0.1:$HTTP_PORT/$HTTPS_PORT) in $(( $(date +%s) - start ))s (kubeconfig: $kubeconfig)"
echo "$(date -u +%FT%TZ) cluster-up $(( $(date +%s) - start ))s" >>"$OK_CACHE/logs/timings"
echo "$kubeconfig"
