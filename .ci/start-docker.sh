#!/usr/bin/env bash
# Makes a working Docker engine available on this machine; safe to run any number of times.
#
# Why each step (the facts are in docs/ci-machine.md):
#   - Docker is not preinstalled; Debian's docker.io (engine 20.10) is.
#   - There is no systemd on the VM (PID 1 is the VM's init), so dockerd is started in the background here.
#   - The VM's capability bounding set lacks CAP_SYS_RESOURCE, so `--privileged` (kind's nodes) fails in runc.
#     tools/offline-kind/node/files/usr/local/bin/runc-nosysresource removes that capability from the request; we register
#     it as dockerd's default runtime.
#   - kind nodes need more inotify instances/watches than this VM's defaults give (step 3b).
#   - /usr/local/bin/docker (a newer client without buildx) shadows Debian's /usr/bin/docker. Scripts that
#     build images should call /usr/bin/docker with DOCKER_BUILDKIT=1.
#   - BuildKit's cache is unbounded on this engine and machines are reused: it is kept to the most recently
#     used TODO_BUILD_CACHE_KEEP (step 6).
#
# Environment: DOCKERD_LOG (default /var/log/dockerd.log), TODO_BUILD_CACHE_KEEP (default 10GB).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wrapper_src="$here/../tools/offline-kind/node/files/usr/local/bin/runc-nosysresource"
wrapper=/usr/local/bin/runc-nosysresource
log="${DOCKERD_LOG:-/var/log/dockerd.log}"
docker=/usr/bin/docker

say() { echo "start-docker: $*" >&2; }

# 1. Packages. Other jobs may hold the dpkg lock (parallel installs on the same machine): wait for it.
need=()
[ -x /usr/sbin/dockerd ] || need+=(docker.io)   # Debian installs it in /usr/sbin
command -v jq >/dev/null || need+=(jq)   # the runtime wrapper edits OCI JSON with jq
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt_opts=(-o DPkg::Lock::Timeout=600 -y -q)
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing on a fresh machine; refresh them once if the install fails.
  apt-get "${apt_opts[@]}" install "${need[@]}" >&2 \
    || { apt-get -o DPkg::Lock::Timeout=600 -q update >&2 && apt-get "${apt_opts[@]}" install "${need[@]}" >&2; }
fi

# 2. The runtime wrapper, registered as the default runtime (merged into any existing daemon.json).
install -m 0755 "$wrapper_src" "$wrapper"
mkdir -p /etc/docker
current='{}'
[ -s /etc/docker/daemon.json ] && current="$(cat /etc/docker/daemon.json)"
keep="${TODO_BUILD_CACHE_KEEP:-10GB}"
desired="$(jq --arg p "$wrapper" --arg keep "$keep" \
  '.runtimes["runc-nosysresource"] = {path: $p} | .["default-runtime"] = "runc-nosysresource"
   | .builder.gc = {enabled: true, defaultKeepStorage: $keep}' <<<"$current")"
config_changed=0
if [ "$(jq -S . <<<"$current")" != "$(jq -S . <<<"$desired")" ]; then
  printf '%s\n' "$desired" >/etc/docker/daemon.json
  config_changed=1
fi

# 3. kind bind-mounts /lib/modules read-only into every node. This VM has no /lib/modules (its kernel has
#    no loadable modules). Docker would create the missing source directory itself, but an explicit empty
#    directory makes that visible and keeps it working with engines that refuse missing bind sources.
mkdir -p /lib/modules

# 3b. What every kind node takes from the host. A node's systemd, containerd and kubelet run as root here
#     and take inotify instances and watches from root's per-user limits; this VM's defaults (128
#     instances) leave room for few nodes, and a node whose systemd finds none left never boots. kind's
#     known-issues page recommends these values; only raised, never lowered (tools/cluster's cluster-up
#     checks the same before it creates a node). Set at start, not persisted: CI machines are fresh.
raise_sysctl() {
  local now
  now="$(sysctl -n "$1" 2>/dev/null)" || { say "cannot read $1; kind nodes may not boot (cluster-up will say)"; return 0; }
  [ "$now" -ge "$2" ] && return 0
  if sysctl -qw "$1=$2" 2>/dev/null; then say "raised $1 from $now to $2 (kind nodes)"; else say "cannot raise $1 from $now to $2 here (not root?): sudo sysctl -w $1=$2"; fi
}
raise_sysctl fs.inotify.max_user_instances 512
raise_sysctl fs.inotify.max_user_watches 524288

# 4. dockerd, started once. If it already runs with an older daemon.json, SIGHUP reloads runtimes.
if pid="$(pgrep -xo dockerd)"; then
  if [ "$config_changed" = 1 ]; then
    say "reloading dockerd ($pid) for the new runtime config"
    kill -HUP "$pid"
  fi
else
  say "starting dockerd (log: $log)"
  # setsid: detach from our session so the daemon outlives this script and its caller's job control.
  setsid nohup /usr/sbin/dockerd >>"$log" 2>&1 </dev/null &
fi

# 5. Wait until the engine answers, and check it is really using the wrapper.
for _ in $(seq 1 60); do
  if "$docker" info >/dev/null 2>&1; then
    rt="$("$docker" info --format '{{.DefaultRuntime}}')"
    if [ "$rt" = runc-nosysresource ]; then
      say "docker is ready (default runtime: $rt)"
      # 6. The build cache, bounded. Every CI run builds images with new content and leaves their layers in
      #    BuildKit's cache; Debian's engine 20.10 collects none of it by default, and on a reused machine
      #    it grew to 34 GB in a day until a build failed with ENOSPC. daemon.json's builder.gc (above) bounds
      #    it from the daemon's next start; this prune (oldest first) bounds it now, on a daemon already running.
      #    At most once an hour (a stamp file): the tests call this script a dozen times per run, and each
      #    prune walks the whole cache (3-4 s on a busy machine).
      stamp="${TODO_CACHE_DIR:-/var/cache/todo-platform}/docker-build-cache-pruned"
      if [ -n "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
        exit 0
      fi
      if "$docker" builder prune -f --keep-storage "$keep" >/dev/null 2>&1; then
        mkdir -p "$(dirname "$stamp")" && touch "$stamp"
        say "build cache kept to the last $keep used (TODO_BUILD_CACHE_KEEP; next prune in an hour at the earliest)"
      else
        say "could not prune the build cache (docker builder prune); free disk space is $(df -h --output=avail /var/lib/docker 2>/dev/null | tail -1)"
      fi
      exit 0
    fi
  fi
  sleep 1
done
say "dockerd did not become ready with runtime runc-nosysresource within 60s; last lines of $log:"
tail -n 30 "$log" >&2 || true
exit 1
