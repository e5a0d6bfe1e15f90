#!/bin/sh
# Runs INSIDE a builder container; writes to stdout a tar of a runtime root filesystem: the files of
# the given Debian packages and of everything they depend on, minus the packages a running app never
# needs (package managers, shells, coreutils, perl, debconf), minus docs, man pages and translations,
# plus the extra paths given after "--". The host pipes it into `docker import`.
#
#   collect-runtime.sh base-files netbase libc6 ... -- /usr/local/bin/node
#
# Dependencies are followed through Pre-Depends and Depends (first installed alternative). Nothing
# is run from the result, so no shell is needed in it: the runtime image has none.
set -eu

# Packages never copied even when something depends on them: installing, configuring and shell tools.
deny=" dpkg apt perl-base perl debconf debconf-2.0 bash dash coreutils debianutils sensible-utils \
init-system-helpers libc-bin usrmerge usr-is-merged install-info tar grep sed findutils gzip mawk \
diffutils util-linux login passwd base-passwd ncurses-bin hostname adduser lsb-base ucf "

start=""
extra=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; extra="$*"; break; fi
  start="$start $1"
  shift
done

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# Breadth-first closure over Pre-Depends/Depends.
seen=" "
queue="$start"
while [ -n "$(echo $queue)" ]; do
  set -- $queue
  p="$1"
  shift
  queue="$*"
  case "$seen" in *" $p "*) continue ;; esac
  case "$deny" in *" $p "*) continue ;; esac
  installed "$p" || { echo "collect-runtime: $p is not installed in the builder" >&2; exit 1; }
  seen="$seen$p "
  deps="$(dpkg-query -W -f='${Pre-Depends}, ${Depends}' "$p" | tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/:[a-z0-9]*//g')"
  # Each line is "a | b | c": take the first installed alternative (none: a virtual package or denied).
  IFS='
'
  for group in $deps; do
    IFS=' |'
    for alt in $group; do
      [ -n "$alt" ] || continue
      case "$deny" in *" $alt "*) break ;; esac
      if installed "$alt"; then queue="$queue $alt"; break; fi
    done
  done
  unset IFS
done
echo "collect-runtime: packages:$seen" >&2

list="$(mktemp)"
{
  for p in $seen; do dpkg-query -L "$p"; done
  for x in $extra; do echo "$x"; done
  # Not owned by any package, but read by glibc and by `docker run --user <name>` style lookups.
  for f in /etc/passwd /etc/group /etc/nsswitch.conf /etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d \
    /etc/ld.so.conf.d/* /usr/lib/locale /usr/lib/locale/C.utf8 /usr/lib/locale/C.utf8/* /usr/lib/locale/C.utf8/*/* \
    /bin /sbin /lib /lib64 /tmp /root /var/tmp; do
    [ -e "$f" ] || [ -L "$f" ] && echo "$f"
  done
} | grep -v -E '^/usr/share/(doc|man|info|locale|lintian|bug|doc-base|menu|gcc|gdb)/' \
  | grep -v -E '^/usr/share/doc/[^/]+$' \
  | grep -v -E '^(/\.|/var/lib/dpkg|/var/cache/debconf|/etc/apt|/etc/dpkg)' \
  | while IFS= read -r path; do
      [ -n "$path" ] || continue
      [ -e "$path" ] || [ -L "$path" ] || continue
      # Merged /usr: dpkg lists /lib/x86_64-linux-gnu/libc.so.6, the file lives under /usr/lib.
      dir="$(dirname "$path")"
      canon="$(readlink -f "$dir")"
      [ "$canon" = / ] && canon=""
      echo "${canon}/$(basename "$path")"
    done | sed 's|^/||' | sort -u >"$list"

# Copyright files of the copied packages only (compliance), kept as /usr/share/doc/<pkg>/copyright.
echo usr/share/doc >>"$list"
for p in $seen; do
  doc="/usr/share/doc/${p%%:*}"
  if [ -L "$doc" ]; then
    # Some packages point their doc folder at another package's (libncursesw6 -> libtinfo6).
    echo "${doc#/}"
    doc="$(readlink -f "$doc")"
  fi
  [ -f "$doc/copyright" ] && printf '%s\n%s/copyright\n' "${doc#/}" "${doc#/}"
done >>"$list"
sort -u -o "$list" "$list"

echo "collect-runtime: $(wc -l <"$list") paths" >&2
tar -C / --numeric-owner --no-recursion -cf - -T "$list"
rm -f "$list"
