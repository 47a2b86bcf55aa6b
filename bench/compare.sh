#!/usr/bin/env bash
# The request path, the spool endpoints, Spoolman's own paths and the run list, against their floors and Spoolman.
#   bench/compare.sh [DURATION_S] [ROUNDS]          (from the project root, after `make venv`)
#   SERVER=gunicorn|gthread|granian|uvicorn bench/compare.sh  the same under another server (default: uWSGI, 2 processes)
# Needs wrk and bc (apt-get install -y wrk bc) and PostgreSQL on 127.0.0.1:5432 (DATABASE_URL's server).
#
# ../shared/bench/compare.sh extended: the same fresh database, loading through the public API and
# the deployment's server (uWSGI with config/uwsgi.ini, 2 processes, DEBUG=0), plus the
# Spoolman-compatible paths under a printer's key (requested as a printer does: the key in the
# URL, no token header, so no REST token lookup), the run list (page of 20) and its floor. Each endpoint is measured ROUNDS times (default 3) and the
# median of its server CPU per request is kept (every server process counted). The floors are the
# same SQL in bare Django views behind the project's middleware (bench/spool_floor.py, bench/floor.py),
# mounted in a throwaway copy of the project only. Spoolman's figures are v0.26.1 measured the same
# way on this machine kind when the issue was filed (FastAPI + SQLAlchemy, PostgreSQL 15, one uvicorn
# worker, 1000 spools): machines of the kind differ, so measure Spoolman beside this script on the same
# machine (README "Performance") and pass SPOOLMAN_LIST_MS, SPOOLMAN_DETAIL_MS, SPOOLMAN_USE_MS.
set -uo pipefail
command -v wrk >/dev/null || { echo "compare.sh: wrk is not installed (apt-get install -y wrk)"; exit 2; }
command -v bc >/dev/null || { echo "compare.sh: bc is not installed (apt-get install -y bc)"; exit 2; }
P="$(cd "$(dirname "$0")/.." && pwd)"; D=${1:-10}; ROUNDS=${2:-3}
PORT=${PORT:-7914}; W=$(mktemp -d /tmp/bench-compare.XXXXXX)
SPOOLMAN_LIST_MS=${SPOOLMAN_LIST_MS:-6.62}; SPOOLMAN_DETAIL_MS=${SPOOLMAN_DETAIL_MS:-1.41}; SPOOLMAN_USE_MS=${SPOOLMAN_USE_MS:-3.07}
trap 'kill ${SERVER_PID:-} 2>/dev/null; rm -rf "$W"' EXIT
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
cpu_ticks() { local t=0 pid; for pid in $1 $(descendants "$1"); do read -r -a f < "/proc/$pid/stat" && t=$((t + f[13] + f[14])); done; echo $t; }
HZ=$(getconf CLK_TCK); declare -A CPU
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
bench() {  # name url luafile
  local name=$1 url=$2 lua=$3 before after out reqs samples=() i rps p50 non2xx=0 n
  wrk -t2 -c16 -d2s -s "$lua" "$url" >/dev/null 2>&1   # warm-up
  for i in $(seq "$ROUNDS"); do
    before=$(cpu_ticks "$SERVER_PID"); out=$(wrk -t2 -c16 -d"${D}s" --latency -s "$lua" "$url" 2>&1); after=$(cpu_ticks "$SERVER_PID")
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    samples+=("$(echo "($after-$before)*1000/$HZ/$reqs" | bc -l)")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}'); p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    n=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=$((non2xx + ${n:-0}))
  done
  CPU[$name]=$(median "${samples[@]}")
  printf "%-40s %8s req/s  p50 %8s  cpu/req %6.2f ms (median of %s)  non2xx %s\n" "$name" "$rps" "$p50" "${CPU[$name]}" "$ROUNDS" "$non2xx"
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
bench "floor empty view (request path)" "$BASE/floor/empty/" "$W/get.lua"
bench "ours  spool list page 20" "$BASE/api/v1/spools/?page_size=20" "$W/get.lua"
bench "floor spool list page 20" "$BASE/floor/spools/" "$W/get.lua"
bench "ours  spool detail" "$BASE/api/v1/spools/$SPOOL/" "$W/get.lua"
bench "floor spool detail" "$BASE/floor/spools/$SPOOL/" "$W/get.lua"
bench "ours  adjust -0.01 g (write)" "$BASE/api/v1/spools/$SPOOL/adjust/" "$W/adjust.lua"
bench "spoolman spool?limit=20" "$SPOOLMAN/api/v1/spool?limit=20" "$W/printer_get.lua"
bench "spoolman spool/1" "$SPOOLMAN/api/v1/spool/1" "$W/printer_get.lua"
bench "spoolman PUT spool/1/use 0.01 g" "$SPOOLMAN/api/v1/spool/1/use" "$W/use.lua"
bench "ours  run list page 20" "$BASE/api/v1/production-runs/?page_size=20" "$W/get.lua"
bench "floor run list page 20" "$BASE/floor/production-runs/" "$W/get.lua"
ratio() { printf "%-44s %6.2f   target %s\n" "$1" "$(echo "$2 / $3" | bc -l)" "$4"; }
echo "== targets (server CPU per request; Spoolman v0.26.1: list $SPOOLMAN_LIST_MS, detail $SPOOLMAN_DETAIL_MS, use $SPOOLMAN_USE_MS ms)"
printf "%-44s %6.2f   target <= 0.60 ms\n" "request path (empty view), ms" "${CPU[floor empty view (request path)]}"
ratio "spool list: ours / floor" "${CPU[ours  spool list page 20]}" "${CPU[floor spool list page 20]}" "<= 1.3"
ratio "spool detail: ours / Spoolman detail" "${CPU[ours  spool detail]}" "$SPOOLMAN_DETAIL_MS" "<= 1.0"
ratio "adjust: ours / Spoolman use" "${CPU[ours  adjust -0.01 g (write)]}" "$SPOOLMAN_USE_MS" "<= 1.0"
ratio "spoolman list: ours / Spoolman" "${CPU[spoolman spool?limit=20]}" "$SPOOLMAN_LIST_MS" "<= 1.0"
ratio "spoolman detail: ours / Spoolman" "${CPU[spoolman spool/1]}" "$SPOOLMAN_DETAIL_MS" "<= 1.0"
ratio "spoolman use: ours / Spoolman" "${CPU[spoolman PUT spool/1/use 0.01 g]}" "$SPOOLMAN_USE_MS" "<= 1.0"
ratio "run list: ours / floor" "${CPU[ours  run list page 20]}" "${CPU[floor run list page 20]}" "<= 1.5"
