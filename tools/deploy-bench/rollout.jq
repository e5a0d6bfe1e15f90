# The rollout of one component, from a pod watch recorded by bench.sh (watch_pods): one line per watch
# event, {"t": <arrival, s since the epoch, ms precision>, "e": <event reduced by bench.sh>}.
#
#   jq -s --arg component backend --argjson hstart <helm start, s> --argjson hend <helm end, s> -f rollout.jq <file>
#
# Prints the phases of the new pod's way to Ready, each in seconds, plus the old pod's termination.
# Times are when the watch saw each state (the API's own timestamps have whole seconds only):
#   apply      helm start (the release step's check included) -> the new pod exists
#   schedule   pod created -> scheduled (scheduler)
#   init/<n>   previous milestone -> init container <n> terminated (sandbox, image, the program)
#   server     last init done -> the server container runs (container create and start)
#   startup    running -> started (the app listens and the startup probe passed)
#   readiness  started -> Ready (the readiness probe passed, the pod condition written)
#   wait-end   Ready -> helm returned (helm's 2 s poll, the other resources)
#   old-stop   old pod terminating -> gone (in parallel; Helm 3's --wait does not wait for it)
def first(cond): map(select(cond)) | (.[0].t // null);
def d(a; b): if a == null or b == null then null else ((b - a) * 10 | round / 10) end;

map(select(.e.comp == $component)) as $ev
| ($ev | map(select(.e.type == "ADDED")) | .[0].e.uid // null) as $uid
| ($ev | map(select(.e.uid == $uid))) as $new
| ($ev | map(select(.e.uid != $uid and .e.deleting)) ) as $old
| ($new | first(.e.type == "ADDED")) as $created
| ($new | first(.e.scheduled == "True")) as $scheduled
| ([($new | map(.e.init | length) | max // 0) as $n | range(0; $n) as $i | {i: $i, name: ($new | map(.e.initNames[$i] // empty) | .[0] // "init"), t: ($new | first(.e.init[$i] == "terminated"))}]) as $inits
| ($new | first(.e.main[0].s == "running")) as $running
| ($new | first(.e.main[0].started == true)) as $started
| ($new | first(.e.ready == "True")) as $ready
| ($old | first(true)) as $oldDeleting
| ($old | first(.e.type == "DELETED")) as $oldGone
| ([$scheduled] + ($inits | map(.t))) as $before
| [
    ["apply (release check, helm render/apply, controllers)", d($hstart; $created)],
    ["schedule", d($created; $scheduled)]
  ]
  + [$inits | to_entries[] | ["init \(.value.name) (\(if .key == 0 then "pod sandbox, " else "" end)start, run)", d(if .key == 0 then $scheduled else $inits[.key - 1].t end; .value.t)]]
  + [
    ["server container created and started", d(if ($inits | length) > 0 then $inits[-1].t else $scheduled end; $running)],
    ["startup (app listens, startup probe passes)", d($running; $started)],
    ["readiness (probe, pod condition)", d($started; $ready)],
    ["helm notices (2 s poll, other resources)", d($ready; $hend)],
    ["(old pod terminating -> gone, not waited for)", d($oldDeleting; $oldGone)]
  ]
| .[] | "\(.[0])\t\(.[1] // "-")"
