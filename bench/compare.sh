#!/usr/bin/env bash
# The request path, the spool endpoints, Spoolman's own paths and the run list, against their floors and Spoolman.
#   bench/compare.sh [DURATION_S] [ROUNDS]          (from the project root, after `make venv`)
#   SERVER=gunicorn|gthread|granian|uvicorn bench/compare.sh  the same under another server (default: uWSGI, 2 processes)
# Needs wrk and bc (apt-get install -y wrk bc) and PostgreSQL on 127.0.0.1:5432 (DATABASE_URL's server).
#
# ../shared/bench/compare.sh extended: the same fresh database, loading through the public API and
# the deployment's server (uWSGI with config/uwsgi.ini, 2 processes, DEBUG=0), plus the
# Spoolman-compatible paths under a printer's key (requested as a printer does: the key in the
# URL, no token header, so no REST token lookup), the run list (page of 20) and its floor. Each
# endpoint is measured ROUNDS times (default 3), each round right before its floor's, and the median
# of its server CPU per request is kept (every server process counted); a ratio is the median of the
# rounds' ratios. The floors are the same SQL in bare Django views behind the project's middleware
# (bench/spool_floor.py, bench/floor.py), mounted in a throwaway copy of the project only. Spoolman's figures are v0.26.1 measured the same
# way on this machine kind when the issue was filed (FastAPI + SQLAlchemy, PostgreSQL 15, one uvicorn
# worker, 1000 spools). Machines of the kind differ, and one machine's speed drifts within minutes,
# so compare side by side: with SPOOLMAN_URL and SPOOLMAN_PID naming a Spoolman you run yourself
# (its spool 1 among 1000 spools; README "Performance"), every round of an endpoint compared with
# Spoolman is followed at once by the same round on Spoolman's path, and the ratio kept is the median
# of the rounds' ratios. Without them the filed figures are used (or SPOOLMAN_LIST_MS,
# SPOOLMAN_DETAIL_MS, SPOOLMAN_USE_MS).
set -uo pipefail
command -v wrk >/dev/null || { echo "compare.sh: wrk is not installed (apt-get install -y wrk)"; exit 2; }
command -v bc >/dev/null || { echo "compare.sh: bc is not installed (apt-get install -y bc)"; exit 2; }
P="$(cd "$(dirname "$0")/.." && pwd)"; D=${1:-10}; ROUNDS=${2:-3}
PORT=${PORT:-7914}; W=$(mktemp -d /tmp/bench-compare.XXXXXX)
if [[ -n ${SPOOLMAN_URL:-} ]]; then
  [[ -n ${SPOOLMAN_PID:-} && -e /proc/${SPOOLMAN_PID:-0} ]] || { echo "compare.sh: SPOOLMAN_PID is not a running process"; exit 2; }
  curl -sf "$SPOOLMAN_URL/api/v1/spool/1" >/dev/null || { echo "compare.sh: no spool 1 at $SPOOLMAN_URL/api/v1/spool/1"; exit 2; }
fi
SPOOLMAN_LIST_MS=${SPOOLMAN_LIST_MS:-6.62}; SPOOLMAN_DETAIL_MS=${SPOOLMAN_DETAIL_MS:-1.41}; SPOOLMAN_USE_MS=${SPOOLMAN_USE_MS:-3.07}
trap 'kill ${SERVER_PID:-} 2>/dev/null; rm -rf "$W"' EXIT
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
cpu_ticks() { local t=0 pid; for pid in $1 $(descendants "$1"); do read -r -a f < "/proc/$pid/stat" && t=$((t + f[13] + f[14])); done; echo $t; }
HZ=$(getconf CLK_TCK); declare -A CPU RATIO
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
round() {  # pid url luafile: one round of wrk; sets SAMPLE (server CPU per request, ms), RPS, P50, NON2XX
  local before after out
  before=$(cpu_ticks "$1"); out=$(wrk -t2 -c16 -d"${D}s" --latency -s "$3" "$2" 2>&1); after=$(cpu_ticks "$1")
  SAMPLE=$(echo "($after-$before)*1000/$HZ/$(echo "$out" | awk '/requests in/ {print $1}')" | bc -l)
  RPS=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); P50=$(echo "$out" | awk '$1=="50%" {print $2}')
  NON2XX=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); NON2XX=${NON2XX:-0}
}
group() {  # name pid url luafile [name pid url luafile ...]: each round measures them one after the other
  # (the first against each of the others in the same minute), so the machine's drift cancels in the ratios.
  local n=$(( $# / 4 )) i k args=("$@") ratios rps=() p50=() non2xx=()
  declare -A samples=()
  for ((k = 0; k < n; k++)); do wrk -t2 -c16 -d2s -s "${args[k*4+3]}" "${args[k*4+2]}" >/dev/null 2>&1; done   # warm-up
  for i in $(seq "$ROUNDS"); do
    for ((k = 0; k < n; k++)); do
      round "${args[k*4+1]}" "${args[k*4+2]}" "${args[k*4+3]}"
      samples[$k]+="$SAMPLE "; rps[k]=$RPS; p50[k]=$P50; non2xx[k]=$(( ${non2xx[k]:-0} + NON2XX ))
    done
  done
  for ((k = 0; k < n; k++)); do
    CPU[${args[k*4]}]=$(median ${samples[$k]})
    printf "%-40s %8s req/s  p50 %8s  cpu/req %6.2f ms (median of %s)  non2xx %s\n" "${args[k*4]}" "${rps[k]}" "${p50[k]}" \
      "${CPU[${args[k*4]}]}" "$ROUNDS" "${non2xx[k]}"
    ((k == 0)) && continue
    ratios=$(paste -d/ <(tr ' ' '\n' <<< "${samples[0]}") <(tr ' ' '\n' <<< "${samples[$k]}") | grep -v '^/$' | bc -l)
    RATIO[${args[0]}/${args[k*4]}]=$(median $ratios)
  done
}
lua() {  # file method body: wrk's headers for a token request
  cat > "$W/$1.lua" <<L
wrk.headers["Authorization"] = "Token $TOKEN"; wrk.headers["X-Tenant"] = "bench"; wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["Content-Type"] = "application/json"; wrk.method = "$2"; wrk.body = [[$3]]
L
}
printer_lua() {  # file method body: a printer's request to the Spoolman paths (its key is in the URL, no token)
  cat > "$W/$1.lua" <<L
wrk.headers["X-Forwarded-Proto"] = "https"; wrk.headers["Content-Type"] = "application/json"
wrk.method = "$2"; wrk.body = [[$3]]
L
}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_compare DEBUG=0 SECRET_KEY=bench-secret-key-0123456789-abcdefghijklmnop \
  ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS bench_compare WITH (FORCE)" -c "CREATE DATABASE bench_compare" >/dev/null
(cd "$P" && .venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py create_tenant bench --name Bench --prefix BEN >/dev/null \
  && .venv/bin/python manage.py add_member bench bench --role owner --password bench-pass-123 >/dev/null) || exit 2
# The floors live only in a throwaway copy of the project that shares its virtualenv.
mkdir -p "$W/proj" && git -C "$P" archive HEAD | tar -x -C "$W/proj"
cat >> "$W/proj/config/urls.py" <<'PY'

from bench import floor as run_floor, spool_floor  # noqa: E402  (bench/compare.sh's throwaway copy only)

urlpatterns += [
    path("floor/empty/", spool_floor.empty),
    path("floor/spools/", spool_floor.spools),
    path("floor/spools/<uuid:pk>/", spool_floor.spool_detail),
    path("floor/production-runs/", run_floor.run_list),
]
PY
# The servers a Django deployment would pick, two processes (or workers) each on 2 cores.
case "${SERVER:=uwsgi}" in
  uwsgi) SERVE=("$P/.venv/bin/uwsgi" --ini config/uwsgi.ini --http-socket "127.0.0.1:$PORT" --processes 2) ;;
  gunicorn) SERVE=("$P/.venv/bin/gunicorn" config.wsgi -w 2 -b "127.0.0.1:$PORT" --log-level warning) ;;
  gthread) export DATABASE_POOL_SIZE=4
    SERVE=("$P/.venv/bin/gunicorn" config.wsgi -w 2 -k gthread --threads 4 -b "127.0.0.1:$PORT" --log-level warning) ;;
  granian) SERVE=("$P/.venv/bin/granian" --interface wsgi config.wsgi:application --workers 2 --blocking-threads 1 --runtime-mode st
    --host 127.0.0.1 --port "$PORT" --log-level warning) ;;
  uvicorn) SERVE=("$P/.venv/bin/uvicorn" config.asgi:application --workers 2 --host 127.0.0.1 --port "$PORT"
    --lifespan off --log-level warning) ;;
  *) echo "compare.sh: SERVER is uwsgi, gunicorn, gthread, granian or uvicorn"; exit 2 ;;
esac
(cd "$W/proj" && exec "${SERVE[@]}" > "$W/server.log" 2>&1) &
SERVER_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 60); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.5; done
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' -H 'X-Forwarded-Proto: https' \
  -d '{"username":"bench","password":"bench-pass-123"}' "$BASE/api/v1/auth/token/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
eval "$(cd "$P" && .venv/bin/python -m bench.compare_seed "$BASE" "$TOKEN" bench 1000 60)" || exit 2
SPOOLMAN=$BASE$SPOOLMAN_PATH
lua get GET ""; lua adjust POST '{"type": "adjustment", "delta_g": "-0.01", "reason": "bench"}'
printer_lua printer_get GET ""; printer_lua use PUT '{"use_weight": 0.01}'
echo "== project $(git -C "$P" rev-parse --short HEAD) ($SERVER, 2 processes); wrk -t2 -c16 -d${D}s x ${ROUNDS}; $(nproc) cores"
S=$SERVER_PID
theirs() {  # Spoolman's own path (and wrk file) measured beside ours in each round, when SPOOLMAN_URL is set
  THEIRS=(); [[ -n ${SPOOLMAN_URL:-} ]] && THEIRS=("Spoolman itself: $1" "$SPOOLMAN_PID" "$SPOOLMAN_URL/api/v1/$1" "$2"); true
}
group "floor empty view (request path)" "$S" "$BASE/floor/empty/" "$W/get.lua"
group "ours  spool list page 20" "$S" "$BASE/api/v1/spools/?page_size=20" "$W/get.lua" \
  "floor spool list page 20" "$S" "$BASE/floor/spools/" "$W/get.lua"
theirs spool/1 "$W/printer_get.lua"
group "ours  spool detail" "$S" "$BASE/api/v1/spools/$SPOOL/" "$W/get.lua" \
  "floor spool detail" "$S" "$BASE/floor/spools/$SPOOL/" "$W/get.lua" "${THEIRS[@]}"
theirs spool/1/use "$W/use.lua"
group "ours  adjust -0.01 g (write)" "$S" "$BASE/api/v1/spools/$SPOOL/adjust/" "$W/adjust.lua" "${THEIRS[@]}"
theirs "spool?limit=20" "$W/printer_get.lua"
group "spoolman spool?limit=20" "$S" "$SPOOLMAN/api/v1/spool?limit=20" "$W/printer_get.lua" "${THEIRS[@]}"
theirs spool/1 "$W/printer_get.lua"
group "spoolman spool/1" "$S" "$SPOOLMAN/api/v1/spool/1" "$W/printer_get.lua" "${THEIRS[@]}"
theirs spool/1/use "$W/use.lua"
group "spoolman PUT spool/1/use 0.01 g" "$S" "$SPOOLMAN/api/v1/spool/1/use" "$W/use.lua" "${THEIRS[@]}"
group "ours  run list page 20" "$S" "$BASE/api/v1/production-runs/?page_size=20" "$W/get.lua" \
  "floor run list page 20" "$S" "$BASE/floor/production-runs/" "$W/get.lua"
floor() { printf "%-44s %6.2f   target %s\n" "$1" "${RATIO[$2/$3]}" "$4"; }
versus() {  # label, our endpoint, Spoolman's path, its filed figure
  if [[ -n ${SPOOLMAN_URL:-} ]]; then
    printf "%-44s %6.2f   target <= 1.0 (Spoolman measured beside it)\n" "$1" "${RATIO[$2/Spoolman itself: $3]}"
  else
    printf "%-44s %6.2f   target <= 1.0 (Spoolman's filed %s ms)\n" "$1" "$(echo "${CPU[$2]} / $4" | bc -l)" "$4"
  fi
}
echo "== targets (server CPU per request; ratios are medians of the rounds' ratios)"
printf "%-44s %6.2f   target <= 0.60 ms\n" "request path (empty view), ms" "${CPU[floor empty view (request path)]}"
floor "spool list: ours / floor" "ours  spool list page 20" "floor spool list page 20" "<= 1.3"
versus "spool detail: ours / Spoolman detail" "ours  spool detail" spool/1 "$SPOOLMAN_DETAIL_MS"
versus "adjust: ours / Spoolman use" "ours  adjust -0.01 g (write)" spool/1/use "$SPOOLMAN_USE_MS"
versus "spoolman list: ours / Spoolman" "spoolman spool?limit=20" "spool?limit=20" "$SPOOLMAN_LIST_MS"
versus "spoolman detail: ours / Spoolman" "spoolman spool/1" spool/1 "$SPOOLMAN_DETAIL_MS"
versus "spoolman use: ours / Spoolman" "spoolman PUT spool/1/use 0.01 g" spool/1/use "$SPOOLMAN_USE_MS"
floor "run list: ours / floor" "ours  run list page 20" "floor run list page 20" "<= 1.5"
