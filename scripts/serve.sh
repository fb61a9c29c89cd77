#!/usr/bin/env bash
# Production start (make serve): deployment checks, migrations, static files, then gunicorn
# and, with Redis, the background job workers.
# Every setting comes from the environment; README.md lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON_BIN:-.venv/bin/python}
export DEBUG="${DEBUG:-0}"
# Warnings too: a production start with a weakened setting (HSTS off …) does not start.
"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput -v 0

# With RQ (REDIS_URL set, or JOB_BACKEND=rq), JOB_WORKERS job workers run beside gunicorn; one of
# them stopping stops the whole start (a supervisor restarts it), and a stop reaches them all.
backend="${JOB_BACKEND:-$([ -n "${REDIS_URL:-}" ] && echo rq || echo thread)}"
pids=()
if [ "$backend" = rq ]; then
  for _ in $(seq "${JOB_WORKERS:-1}"); do
    "$PY" manage.py jobs_worker &
    pids+=($!)
  done
fi
"$PY" -m gunicorn -c python:perfbudget.gunicorn_conf perfbudget.wsgi &
pids+=($!)
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait; }
trap 'stop; exit 0' TERM INT
status=0
wait -n "${pids[@]}" || status=$?
stop
exit "$status"
