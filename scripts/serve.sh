#!/usr/bin/env bash
# Production start (make serve): deployment checks, migrations, static files, then gunicorn.
# Every setting comes from the environment; README.md lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON_BIN:-.venv/bin/python}
export DEBUG="${DEBUG:-0}"
# Warnings too: a production start with a weakened setting (HSTS off …) does not start.
"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput -v 0
exec "$PY" -m gunicorn -c python:perfbudget.gunicorn_conf perfbudget.wsgi
