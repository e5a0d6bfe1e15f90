#!/usr/bin/env bash
# Prints the Debian mirrors this machine's apt already uses, as shell assignments to eval:
#
#   DEBIAN_MIRROR=<archive URI>            (the entry with suite <codename> or <codename>-updates, component main)
#   DEBIAN_SECURITY_MIRROR=<security URI>  (the entry with suite <codename>-security, component main)
#
# The offline image builds (tools/base-images, tools/offline-kind) debootstrap from these, so the
# repository names no mirror: a machine set up with a corporate mirror or a caching proxy host in its
# apt sources just works. Read, as apt reads them: <dir>/sources.list and <dir>/sources.list.d/*.list
# (one-line format), <dir>/sources.list.d/*.sources (deb822; `Enabled: no` is skipped); other file
# names are ignored, as apt ignores them. Only Debian's own suites count (a codename or alias, optionally
# -updates/-security), so third-party entries (nodesource, docker, pgdg, cloud-sdk) are never taken.
#
# Overrides: TODO_DEBIAN_MIRROR, TODO_DEBIAN_SECURITY_MIRROR (each wins on its own).
#
#   eval "$(bash scripts/debian-mirror.sh)"          # reads /etc/apt
#   bash scripts/debian-mirror.sh /some/etc/apt      # another apt configuration directory (tests)
set -euo pipefail

dir="${1:-/etc/apt}"
files=()
[ -f "$dir/sources.list" ] && files+=("$dir/sources.list")
for f in "$dir"/sources.list.d/*.list "$dir"/sources.list.d/*.sources; do
  [ -f "$f" ] && files+=("$f")
done

# One record per (type, uri, suite, components) of every enabled entry: "type<TAB>uri<TAB>suite<TAB>components".
entries() {
  local f
  for f in "${files[@]}"; do
    case "$f" in
      *.sources) awk -v OFS='\t' '
        function flush(  i, j, t, u, s, nt, nu, ns) {
          if (enabled != "no" && types != "" && uris != "" && suites != "") {
            nt = split(types, t, /[ \t]+/); nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
            for (i = 1; i <= nt; i++) if (t[i] != "") for (j = 1; j <= ns; j++) if (s[j] != "") {
              # The first URI of the stanza (apt uses all of them; one mirror is enough for debootstrap).
              for (k = 1; k <= nu && u[k] == ""; k++) ;
              print t[i], u[k], s[j], comps
            }
          }
          types = uris = suites = comps = field = ""; enabled = "yes"
        }
        BEGIN { enabled = "yes" }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { v = $0; sub(/^[ \t]+/, "", v); value(field, v); next }   # continuation line
        {
          name = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1)
          sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); field = name; value(name, v)
        }
        function value(name, v) {
          if (name == "types") types = types " " v
          else if (name == "uris") uris = uris " " v
          else if (name == "suites") suites = suites " " v
          else if (name == "components") comps = comps " " v
          else if (name == "enabled") enabled = tolower(v)
        }
        END { flush() }' "$f" ;;
      *) awk -v OFS='\t' '
        { sub(/#.*/, "") }
        NF == 0 { next }
        {
          line = $0
          # Options: "deb [ arch=amd64 signed-by=... ] uri suite comp..." -> drop the bracketed part.
          gsub(/\[[^]]*\]/, " ", line)
          n = split(line, w, /[ \t]+/); i = 1; while (i <= n && w[i] == "") i++
          type = w[i]; uri = w[i + 1]; suite = w[i + 2]; comps = ""
          for (j = i + 3; j <= n; j++) comps = comps " " w[j]
          if (type != "" && uri != "" && suite != "") print type, uri, suite, comps
        }' "$f" ;;
    esac
  done
}

# Debian's codenames and suite aliases (not Ubuntu's, not third-party "nodistro" and the like).
debian_suite='(hamm|slink|potato|woody|sarge|etch|lenny|squeeze|wheezy|jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable|oldoldstable)'
pick() { # <suite regex> -> first matching URI (trailing slash dropped) of a deb entry with component main
  entries | awk -F'\t' -v re="^$debian_suite$1\$" '
    $1 == "deb" && $3 ~ re && (" " $4 " ") ~ / main / { u = $2; sub(/\/+$/, "", u); print u; exit }'
}

mirror="${TODO_DEBIAN_MIRROR:-}"
security="${TODO_DEBIAN_SECURITY_MIRROR:-}"
seen="$( { entries || true; } | awk -F'\t' '{ print "  " $1 " " $2 " " $3 }' | sort -u)"
if [ -z "$mirror" ]; then
  mirror="$(pick '' || true)"
  [ -n "$mirror" ] || mirror="$(pick '-updates' || true)"
fi
[ -n "$security" ] || security="$(pick '-security' || true)"

fail() {
  {
    echo "debian-mirror: no Debian $1 mirror in the apt configuration under $dir (${#files[@]} source file(s) read)."
    [ -n "$seen" ] && printf 'entries found:\n%s\n' "$seen"
    echo "Add one to $dir/sources.list.d/ (e.g. a debian.sources with Suites: <codename>${2} and Components: main),"
    echo "or set $3=<URL of a Debian ${1} mirror>."
  } >&2
  exit 1
}
[ -n "$mirror" ] || fail archive '' TODO_DEBIAN_MIRROR
[ -n "$security" ] || fail security '-security' TODO_DEBIAN_SECURITY_MIRROR
for u in "$mirror" "$security"; do
  case "$u" in
    http://*|https://*|file:/*) ;;
    *) echo "debian-mirror: '$u' is not an http(s):// or file:/ URI, which debootstrap needs; set TODO_DEBIAN_MIRROR / TODO_DEBIAN_SECURITY_MIRROR" >&2; exit 1 ;;
  esac
done
printf 'DEBIAN_MIRROR=%q\nDEBIAN_SECURITY_MIRROR=%q\n' "$mirror" "$security"
